using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Reporting;

/// <summary>
/// Everything needed to reproduce a training run: backbone and its fingerprint, head and its options, seed,
/// dataset hash, package versions and timings. Shown in the report and saved as JSON next to the model
/// (<see cref="SaveBesideModel"/>).
/// </summary>
public sealed record RunManifest
{
    /// <summary>The file name suffix of a manifest saved next to a model: <c>model.zip</c> → <c>model.manifest.json</c>.</summary>
    public const string FileSuffix = ".manifest.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Gets the manifest format version.</summary>
    public int Format { get; init; } = 1;

    /// <summary>Gets the backbone's name.</summary>
    public required string Backbone { get; init; }

    /// <summary>Gets the backbone's fingerprint (SHA-256 of the model and its descriptor).</summary>
    public required string BackboneFingerprint { get; init; }

    /// <summary>Gets the canonical preprocessing key, or <see langword="null"/> when unknown.</summary>
    public string? Preprocessing { get; init; }

    /// <summary>Gets the head trainer's name.</summary>
    public required string Head { get; init; }

    /// <summary>Gets the head trainer's options, as its description.</summary>
    /// <value>The default value is an empty string.</value>
    public string HeadOptions { get; init; } = string.Empty;

    /// <summary>Gets the class names in class-index order.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Gets the seed of the split and of the head, or <see langword="null"/> when none was used.</summary>
    public int? Seed { get; init; }

    /// <summary>Gets how the accuracy was estimated (method <c>test</c>, <c>cv</c> or <c>holdout</c>, and the figures), or <see langword="null"/> when unknown.</summary>
    public Evaluation.AccuracyEstimate? Estimate { get; init; }

    /// <summary>Gets the number of images the saved model's head was trained on, or <see langword="null"/> when unknown.</summary>
    public int? TrainedOnImages { get; init; }

    /// <summary>Gets the test-time augmentation inside the saved model's graph (<c>None</c> or <c>HorizontalFlip</c>).</summary>
    /// <value>The default value is <c>None</c>.</value>
    public string TestTimeAugmentation { get; init; } = "None";

    /// <summary>Gets the stored "unknown" threshold with its trade-off curve, or <see langword="null"/> when none was chosen.</summary>
    public UnknownThreshold? Unknown { get; init; }

    /// <summary>Gets the classes added to the model after training (<c>TransferModel.AddClass</c>).</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<AddedClass> AddedClasses { get; init; } = [];

    /// <summary>Gets the dataset hash (<see cref="ComputeDatasetHash"/>), or <see langword="null"/> when not computed.</summary>
    public string? DatasetHash { get; init; }

    /// <summary>Gets the versions of the packages that took part, by package id (see <see cref="CollectPackageVersions"/>).</summary>
    /// <value>The default value is <see cref="CollectPackageVersions"/>'s answer when the manifest was created.</value>
    public IReadOnlyDictionary<string, string> Packages { get; init; } = CollectPackageVersions();

    /// <summary>Gets how long each stage took, in seconds, by stage name (e.g. <c>featurize</c>, <c>train</c>).</summary>
    /// <value>The default value is an empty dictionary.</value>
    public IReadOnlyDictionary<string, double> TimingsSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>Gets the runtime, operating system and processor count of the machine that ran it.</summary>
    /// <value>The default value describes the current machine.</value>
    public string Machine { get; init; } = string.Create(CultureInfo.InvariantCulture, $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} logical processors");

    /// <summary>Gets when the run finished (UTC).</summary>
    /// <value>The default value is the time the manifest was created.</value>
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Describes the run that made a model.</summary>
    /// <param name="model">The trained model (its manifest gives backbone, fingerprint, preprocessing, head and classes).</param>
    /// <param name="seed">The seed of the split and head, if any.</param>
    /// <param name="datasetHash">The dataset hash (<see cref="ComputeDatasetHash"/>), if computed.</param>
    /// <param name="timings">Stage name → duration.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static RunManifest FromModel(TransferModel model, int? seed = null, string? datasetHash = null, IEnumerable<KeyValuePair<string, TimeSpan>>? timings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelManifest m = model.Manifest;
        return new RunManifest
        {
            Backbone = m.Backbone,
            BackboneFingerprint = m.BackboneFingerprint,
            Preprocessing = m.Preprocessing,
            Head = m.Head,
            HeadOptions = m.HeadDescription,
            Classes = m.Classes,
            TestTimeAugmentation = m.TestTimeAugmentation.ToString(),
            Unknown = m.Unknown,
            AddedClasses = m.AddedClasses,
            Seed = seed,
            DatasetHash = datasetHash,
            TimingsSeconds = (timings ?? []).ToDictionary(t => t.Key, t => Math.Round(t.Value.TotalSeconds, 3), StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Hashes a dataset by content and labels, not by paths: the SHA-256 of the sorted lines
    /// <c>set \t label \t SHA-256 of the image bytes</c>. Renaming or moving files keeps the hash; changing a pixel,
    /// a label or which set an image is in changes it.
    /// </summary>
    /// <param name="train">The training images.</param>
    /// <param name="test">The test images, if any.</param>
    /// <returns>The hash, 64 lowercase hexadecimal digits.</returns>
    /// <exception cref="InvalidImageException">An image file cannot be read.</exception>
    public static string ComputeDatasetHash(IEnumerable<ImageEntry> train, IEnumerable<ImageEntry>? test = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Images.DatasetHash.Compute(train, test);
    }

    /// <summary>Gets the versions of Transfer, ML.NET, ONNX Runtime and SkiaSharp loaded in this process (informational versions, without the commit suffix).</summary>
    /// <returns>Package id (and <c>.NET</c> for the runtime) → version, ordered by id.</returns>
    public static IReadOnlyDictionary<string, string> CollectPackageVersions()
    {
        // Package id → a type of the assembly it ships (MLContext lives in Microsoft.ML.Data.dll of package Microsoft.ML).
        (string Package, Type Type)[] packages =
        [
            ("Transfer.Core", typeof(RunManifest)),
            ("Microsoft.ML", typeof(Microsoft.ML.MLContext)),
            ("Microsoft.ML.ImageAnalytics", typeof(Microsoft.ML.Data.MLImage)),
            ("Microsoft.ML.OnnxTransformer", typeof(Microsoft.ML.Transforms.Onnx.OnnxTransformer)),
            ("Microsoft.ML.OnnxRuntime", typeof(Microsoft.ML.OnnxRuntime.InferenceSession)),
            ("SkiaSharp", typeof(SkiaSharp.SKBitmap)),
        ];
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (package, type) in packages)
        {
            Assembly a = type.Assembly;
            string version = a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "unknown";
            int plus = version.IndexOf('+', StringComparison.Ordinal);
            versions[package] = plus < 0 ? version : version[..plus];
        }

        versions[".NET"] = Environment.Version.ToString();
        return versions;
    }

    /// <summary>Gets the path of the manifest that belongs beside a model: <c>dir/name.zip</c> → <c>dir/name.manifest.json</c>.</summary>
    /// <param name="modelPath">The model file's path.</param>
    /// <returns>The manifest's full path.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    public static string PathBesideModel(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string full = Path.GetFullPath(modelPath);
        return Path.Combine(Path.GetDirectoryName(full) ?? ".", Path.GetFileNameWithoutExtension(full) + FileSuffix);
    }

    /// <summary>Formats the manifest as indented JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a manifest written by <see cref="Save"/>.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a run manifest.</exception>
    public static RunManifest Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        try
        {
            return JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(full), JsonOptions)
                ?? throw new InvalidDataException($"Run manifest \"{full}\" is empty. Save it again with RunManifest.Save.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Run manifest \"{full}\" is not valid: {e.Message} Save it again with RunManifest.Save.", e);
        }
    }

    /// <summary>Writes the manifest as JSON, atomically (a temporary file renamed over the target).</summary>
    /// <param name="path">The JSON file to write; its folder is created.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ReportFile.WriteAtomically(path, ToJson());
    }

    /// <summary>Writes the manifest beside a model, as <see cref="PathBesideModel"/> names it.</summary>
    /// <param name="modelPath">The model file's path (it need not exist yet).</param>
    /// <returns>The manifest's path.</returns>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public string SaveBesideModel(string modelPath)
    {
        string path = PathBesideModel(modelPath);
        Save(path);
        return path;
    }
}
