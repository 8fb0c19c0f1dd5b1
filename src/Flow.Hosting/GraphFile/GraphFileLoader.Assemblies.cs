using System.Reflection;
using System.Runtime.Loader;
using Flow.Hosting.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    /// <summary>The stage types the file's <c>assemblies</c> add, by type name; a name a registered backend already uses is refused.</summary>
    private Dictionary<string, StageRegistration> LoadAssemblies(SourceNode? node, string baseDirectory, ErrorList errors)
    {
        var extra = new Dictionary<string, StageRegistration>(StringComparer.Ordinal);
        if (node is null)
        {
            return extra;
        }
        if (node.Kind != SourceKind.Array)
        {
            errors.Add(node, $"expected an array of assembly paths (relative to the graph file), found {node.Describe()}");
            return extra;
        }
        foreach (SourceNode item in node.Items)
        {
            if (item.Kind != SourceKind.String || item.Text.Length == 0)
            {
                errors.Add(item, $"expected an assembly path (relative to the graph file), found {item.Describe()}");
                continue;
            }
            string path = Path.GetFullPath(Path.Combine(baseDirectory, item.Text));
            if (!File.Exists(path))
            {
                errors.Add(item, $"assembly '{item.Text}' not found; paths are relative to the folder of the graph file");
                continue;
            }
            Assembly assembly;
            try
            {
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
            }
            catch (BadImageFormatException)
            {
                errors.Add(item, $"assembly '{item.Text}' is not a .NET assembly");
                continue;
            }
            catch (FileLoadException e)
            {
                errors.Add(item, $"assembly '{item.Text}' could not be loaded: {FirstLine(e.Message)}");
                continue;
            }
            IReadOnlyList<StageRegistration> found;
            try
            {
                found = StageAssemblyScanner.Scan(assembly);
            }
            catch (ArgumentException e)
            {
                errors.Add(item, $"assembly '{item.Text}' declares a stage that is not valid: {FirstLine(e.Message)}");
                continue;
            }
            if (found.Count == 0)
            {
                errors.Add(item, $"assembly '{item.Text}' has no stage types: expected public classes deriving from Stage with a [Stage(\"type_name\", \"help\")] attribute");
            }
            foreach (StageRegistration registration in found)
            {
                bool clash = (_registry.TryGet(registration.TypeName, out StageRegistration? known) && known.Descriptor.ClrType != registration.Descriptor.ClrType) ||
                    (extra.TryGetValue(registration.TypeName, out known) && known.Descriptor.ClrType != registration.Descriptor.ClrType);
                if (clash)
                {
                    errors.Add(item, $"assembly '{item.Text}': stage type name '{registration.TypeName}' ({registration.Descriptor.ClrType}) is already registered by {known!.Descriptor.ClrType}");
                    continue;
                }
                extra[registration.TypeName] = registration;
            }
        }
        return extra;
    }
}
