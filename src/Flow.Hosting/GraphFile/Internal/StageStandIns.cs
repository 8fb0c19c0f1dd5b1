using System.Reflection;
using System.Reflection.Emit;

namespace Flow.Hosting.Internal;

/// <summary>
/// Stand-ins for stages a dry run must not construct (<see cref="GraphFileLoader.Check"/>): for
/// a stage type <c>T</c>, a generated type with <c>T</c>'s base (<c>Stage&lt;TOutput, TDrop&gt;</c>
/// or <c>SourceStage&lt;TOutput, TDrop&gt;</c>) and <c>T</c>'s <see cref="StageAttribute"/>, so
/// its <see cref="StageDescriptor"/> — type name, accepted packet type, ports and what they
/// carry, drop reasons — is <c>T</c>'s, and the <see cref="GraphBuilder"/> checks it exactly
/// as it checks <c>T</c>, with the same messages. A stand-in's constructor does nothing and its
/// <c>Process</c>/<c>Poll</c> throws: a checked graph is never run.
/// </summary>
/// <remarks>
/// Generated because the builder takes stage instances and a stage's descriptor is read from its
/// CLR type (<see cref="Stage.Descriptor"/>); a builder that took descriptors would make this
/// unnecessary.
/// </remarks>
internal static class StageStandIns
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<Type, Type> s_types = [];
    private static ModuleBuilder? s_module;

    public static Stage Create(StageDescriptor descriptor)
    {
        Type type;
        lock (s_lock)
        {
            if (!s_types.TryGetValue(descriptor.ClrType, out type!))
            {
                type = Define(descriptor);
                s_types.Add(descriptor.ClrType, type);
            }
        }
        return (Stage)Activator.CreateInstance(type)!;
    }

    private static Type Define(StageDescriptor descriptor)
    {
        s_module ??= AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Flow.Hosting.StageStandIns"), AssemblyBuilderAccess.Run)
            .DefineDynamicModule("Flow.Hosting.StageStandIns");
        Type baseType = (descriptor.IsSource ? typeof(SourceStage<,>) : typeof(Stage<,>)).MakeGenericType(descriptor.OutputEnum, descriptor.DropEnum);
        TypeBuilder type = s_module.DefineType("StandIn." + descriptor.ClrType.FullName, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, baseType);
        type.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(StageAttribute).GetConstructor([typeof(string), typeof(string)])!, [descriptor.TypeName, descriptor.Help],
            [typeof(StageAttribute).GetProperty(nameof(StageAttribute.Accepts))!], [descriptor.Accepts]));
        type.DefineDefaultConstructor(MethodAttributes.Public);

        MethodInfo run = baseType.GetMethod(descriptor.IsSource ? nameof(SourceStage<,>.Poll) : nameof(Stage<,>.Process))!;
        MethodBuilder method = type.DefineMethod(run.Name, MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.HideBySig | MethodAttributes.Final,
            run.ReturnType, run.GetParameters().Select(p => p.ParameterType).ToArray());
        ILGenerator il = method.GetILGenerator();
        il.Emit(OpCodes.Ldstr, $"a stand-in for stage type '{descriptor.TypeName}' in a checked graph; checked graphs do not run");
        il.Emit(OpCodes.Newobj, typeof(NotSupportedException).GetConstructor([typeof(string)])!);
        il.Emit(OpCodes.Throw);
        return type.CreateType();
    }
}
