namespace Transfer.Backbones;

/// <summary>
/// The input and output names of every backbone graph Transfer builds (pixels → features). Compiled into Transfer.Scoring,
/// which runs the graphs, and into Transfer.Core and Transfer.Pipelines, which build them (shared source, so the names
/// are written once and no assembly reaches into another's internals).
/// </summary>
internal static class BackboneTensorNames
{
    /// <summary>The input: a [N, 4, height, width] float tensor of ARGB planes, 0–255.</summary>
    public const string Pixels = "Pixels";

    /// <summary>The output: a [N, featureLength] float tensor.</summary>
    public const string Features = "Features";
}
