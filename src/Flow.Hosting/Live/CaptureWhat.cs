namespace Flow.Hosting.Live;

/// <summary>Which packets of a stage a capture takes.</summary>
internal enum CaptureWhat
{
    /// <summary>Everything entering the stage (<c>capture start &lt;stage&gt;</c> of a stage with an input).</summary>
    Input,

    /// <summary>What leaves on one port (<c>&lt;stage&gt;:&lt;port&gt;</c>).</summary>
    Port,

    /// <summary>What leaves on any port (<c>&lt;source&gt;</c>: a source has no input).</summary>
    AnyPort,

    /// <summary>What the stage dropped, each with its reason (<c>--drops</c>).</summary>
    Drops,
}
