using System.CommandLine;
using Transfer.Cli.Output;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>--manifest &lt;labels.csv&gt; [--path-col ImagePath] [--label-col Label]</c>: labelled images listed in a CSV with a
/// header row (as <c>mlnet</c>'s <c>--dataset</c> with <c>--label-col</c>), instead of one sub-folder per class. Paths are
/// relative to the CSV's folder, or absolute.
/// </summary>
internal sealed class ManifestArguments
{
    public ManifestArguments(string what)
    {
        Manifest = new Option<string?>("--manifest") { Description = $"{what} listed in a CSV file with a header row instead of the folder: one row per image, its path (relative to the CSV's folder, or absolute) and its label. Columns by name: --path-col, --label-col." };
        PathColumn = new Option<string?>("--path-col") { Description = $"With --manifest: the column holding the image paths (default {ManifestLayout.DefaultPathColumn}, else {ManifestLayout.FallbackPathColumn}; names match ignoring case)." };
        LabelColumn = new Option<string?>("--label-col") { Description = $"With --manifest: the column holding the labels (default {ManifestLayout.DefaultLabelColumn}; names match ignoring case)." };
    }

    public Option<string?> Manifest { get; }

    public Option<string?> PathColumn { get; }

    public Option<string?> LabelColumn { get; }

    public IEnumerable<Option> All => [Manifest, PathColumn, LabelColumn];

    public Settings Read(ParseResult parse) => new(parse.GetValue(Manifest), parse.GetValue(PathColumn), parse.GetValue(LabelColumn));

    /// <summary>
    /// The images of a folder argument or of <c>--manifest</c>: exactly one of them (else exit 2). <paramref name="skipMissing"/>
    /// is <see langword="null"/> for a command without <c>--skip-bad-images</c>; <paramref name="columnsUsedElsewhere"/>
    /// when another CSV (train's <c>--test</c>) takes <c>--path-col</c> and <c>--label-col</c>.
    /// </summary>
    public static ImageSet LoadFolderOrManifest(string? folder, Settings manifest, bool? skipMissing, string what, bool columnsUsedElsewhere = false)
    {
        if (manifest.Path is null)
        {
            if (!columnsUsedElsewhere && (manifest.PathColumn is not null || manifest.LabelColumn is not null))
            {
                throw new CliException(ExitCode.Usage, "--path-col and --label-col choose the columns of --manifest; pass --manifest <labels.csv>, or leave them out with a folder.");
            }

            return folder is null
                ? throw new CliException(ExitCode.Usage, $"Pass the {what.ToLowerInvariant()} folder (one sub-folder per class) or --manifest <labels.csv>.")
                : CliInputs.LoadImages(folder, $"{what} folder");
        }

        if (folder is not null)
        {
            throw new CliException(ExitCode.Usage, $"Pass the {what.ToLowerInvariant()} folder \"{folder}\" or --manifest \"{manifest.Path}\", not both.");
        }

        return Load(manifest.Path, manifest.PathColumn, manifest.LabelColumn, skipMissing);
    }

    /// <summary>
    /// Reads a manifest (<see cref="ImageSet.FromManifest(string, ManifestLayout, ImageSetOptions?, CancellationToken)"/>
    /// with a header naming the columns). Missing files fail (exit 4) unless <paramref name="skipMissing"/>, which lists
    /// them instead, in the set's <see cref="ImageSet.Skipped"/> (<see langword="null"/>: the command has no
    /// <c>--skip-bad-images</c> to suggest). The set's <see cref="ImageSet.Root"/> is the manifest's folder, where the
    /// default cache goes.
    /// </summary>
    public static ImageSet Load(string csv, string? pathColumn, string? labelColumn, bool? skipMissing)
    {
        string full = CliInputs.RequireFile(csv, "Manifest (--manifest)");
        try
        {
            var options = new ImageSetOptions { MissingFilePolicy = skipMissing == true ? BadImagePolicy.Skip : BadImagePolicy.Fail };
            return ImageSet.FromManifest(full, ManifestLayout.Named(pathColumn, labelColumn), options);
        }
        catch (DatasetException ex)
        {
            // The library names its option for leaving missing files out; say the command's flag, or nothing where there is none.
            string apiHint = $", or set {nameof(ImageSetOptions.MissingFilePolicy)} = Skip to leave missing files out.";
            string message = ex.Message.EndsWith(apiHint, StringComparison.Ordinal)
                ? string.Concat(ex.Message.AsSpan(0, ex.Message.Length - apiHint.Length), skipMissing is null ? "." : ", or pass --skip-bad-images to leave missing files out.")
                : ex.Message;
            throw new CliException(ExitCode.NoImages, message, ex);
        }
    }

    /// <summary>Whether a path argument names a CSV manifest (an existing <c>.csv</c> file) rather than an image folder.</summary>
    public static bool IsCsv(string path) => File.Exists(path) && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    public sealed record Settings(string? Path, string? PathColumn, string? LabelColumn);
}
