namespace Transfer.Images;

/// <summary>
/// How <see cref="ImageSet.FromManifest(string, ManifestLayout, ImageSetOptions?, CancellationToken)"/> reads a CSV
/// manifest: which columns hold the image path and the label, and where the paths may point.
/// </summary>
public sealed record ManifestLayout
{
    /// <summary>The path column looked for in a header row when <see cref="PathColumn"/> is not set: <c>ImagePath</c>, else <see cref="FallbackPathColumn"/>.</summary>
    public const string DefaultPathColumn = "ImagePath";

    /// <summary>The path column looked for when the header has no <see cref="DefaultPathColumn"/>.</summary>
    public const string FallbackPathColumn = "path";

    /// <summary>The label column looked for in a header row when <see cref="LabelColumn"/> is not set.</summary>
    public const string DefaultLabelColumn = "Label";

    /// <summary>
    /// Gets the layout <see cref="ImageSet.FromManifest(string, ImageSetOptions?, CancellationToken)"/> reads: rows of
    /// exactly <c>path,label</c> with an optional <c>path,label</c> header row, paths inside the manifest's folder.
    /// </summary>
    public static ManifestLayout PathLabel { get; } = new();

    /// <summary>
    /// Gets a value indicating whether the first row is a header naming the columns (matched ignoring case; other
    /// columns are ignored, so a manifest exported with more columns reads as it is), as <c>mlnet</c>'s <c>--dataset</c>.
    /// </summary>
    public bool HasHeader { get; init; }

    /// <summary>Gets the header name of the column holding the image paths; <see langword="null"/> for <see cref="DefaultPathColumn"/>, else <see cref="FallbackPathColumn"/>. Only with <see cref="HasHeader"/>.</summary>
    public string? PathColumn { get; init; }

    /// <summary>Gets the header name of the column holding the labels; <see langword="null"/> for <see cref="DefaultLabelColumn"/>. Only with <see cref="HasHeader"/>.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>
    /// Gets a value indicating whether paths may be absolute or leave the manifest's folder (<c>..</c>). Off by default,
    /// so a manifest cannot reach files outside the folder it ships with; turn it on for a manifest that lists images
    /// where they already are.
    /// </summary>
    public bool AllowPathsOutsideFolder { get; init; }

    /// <summary>A layout whose header row names the columns, and whose paths may be absolute.</summary>
    /// <param name="pathColumn">The path column; <see langword="null"/> for <see cref="DefaultPathColumn"/>, else <see cref="FallbackPathColumn"/>.</param>
    /// <param name="labelColumn">The label column; <see langword="null"/> for <see cref="DefaultLabelColumn"/>.</param>
    /// <returns>The layout.</returns>
    public static ManifestLayout Named(string? pathColumn = null, string? labelColumn = null) =>
        new() { HasHeader = true, PathColumn = pathColumn, LabelColumn = labelColumn, AllowPathsOutsideFolder = true };
}
