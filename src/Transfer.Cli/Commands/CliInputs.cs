using System.Text.Json;
using Transfer.Backbones;
using Transfer.Cli.Output;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Cli.Commands;

/// <summary>Turns command-line values into library objects; every failure is a <see cref="CliException"/> with its exit code.</summary>
internal static class CliInputs
{
    /// <summary>The <c>--head</c> values.</summary>
    public static readonly IReadOnlyList<string> Heads = ["auto", "lbfgs", "sdca", "lightgbm", "softmax", "mlp", "prototype", "knn"];

    /// <summary>The <c>--resize</c> values.</summary>
    public static readonly IReadOnlyList<string> ResizeModes = ["auto", "stretch", "crop", "pad"];

    /// <summary>The <c>--augment</c> values.</summary>
    public static readonly IReadOnlyList<string> AugmentPolicies = ["auto", "none", "flip", "standard"];

    /// <summary>
    /// Offers <paramref name="values"/> as the completions of <paramref name="option"/> (<c>transfer train --head &lt;TAB&gt;</c>).
    /// Other values still parse: the command refuses them with its documented exit code, or takes them (a backbone's .onnx path).
    /// </summary>
    public static T Completing<T>(T option, IEnumerable<string> values)
        where T : System.CommandLine.Option
    {
        string[] items = [.. values];
        option.CompletionSources.Add(_ => items.Select(v => new System.CommandLine.Completions.CompletionItem(v)));
        return option;
    }

    public static string RequireDirectory(string path, string what)
    {
        if (!Directory.Exists(path))
        {
            string hint = File.Exists(path) ? " It is a file; pass a folder." : string.Empty;
            throw new CliException(ExitCode.NotFound, $"{what} \"{path}\" does not exist.{hint}");
        }

        return Path.GetFullPath(path);
    }

    public static string RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            string hint = Directory.Exists(path) ? " It is a folder; pass a file." : string.Empty;
            throw new CliException(ExitCode.NotFound, $"{what} \"{path}\" does not exist.{hint}");
        }

        return Path.GetFullPath(path);
    }

    /// <summary>Opens the bottleneck cache of <c>--cache</c> (exit code 10 when it cannot be), its warnings logged to <paramref name="loggerFactory"/>.</summary>
    public static Caching.BottleneckCache OpenCache(string directory, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory, int segmentSize = Caching.BottleneckCacheOptions.DefaultSegmentSize)
    {
        try
        {
            return Caching.BottleneckCache.Open(Path.GetFullPath(directory), new Caching.BottleneckCacheOptions { SegmentSize = segmentSize, LoggerFactory = loggerFactory });
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot open cache \"{directory}\" (--cache): {ex.Message}", ex);
        }
    }

    /// <summary>Reads a folder with one sub-folder per class.</summary>
    public static ImageSet LoadImages(string folder, string what)
    {
        string full = RequireDirectory(folder, what);
        try
        {
            var set = ImageSet.FromDirectory(full);
            if (set.Count == 0)
            {
                throw new CliException(ExitCode.NoImages, $"{what} \"{folder}\" holds no images. Put images in one sub-folder per class.");
            }

            return set;
        }
        catch (DatasetException ex)
        {
            throw new CliException(ExitCode.NoImages, ex.Message, ex);
        }
    }

    /// <summary>The <c>--decode</c> option of the commands that featurize.</summary>
    public static System.CommandLine.Option<string?> DecodeOption() => Completing(
        new System.CommandLine.Option<string?>("--decode")
        {
            Description = "How JPEG and WebP images are decoded: scaled (at the smallest 1/2, 1/4 or 1/8 scale that still covers the backbone's input, then resized; much faster on photos) or full (full size, then resized). Default: "
                + (ImagePreprocessing.Default.ScaledDecode ? "scaled." : "full."),
        },
        ["scaled", "full"]);

    /// <summary>The <c>--backbone</c> option: a built-in name (completed) or an ONNX file.</summary>
    public static System.CommandLine.Option<string> BackboneOption() => Completing(
        new System.CommandLine.Option<string>("--backbone") { Description = "A built-in backbone name (see 'transfer backbones') or an ONNX file with a descriptor <name>.json beside it.", DefaultValueFactory = _ => Transfer.Backbones.Backbones.DefaultName },
        Transfer.Backbones.Backbones.Names);

    /// <summary>Reads <c>--decode</c>: <see langword="null"/> for the default, else whether to decode at a reduced scale.</summary>
    public static bool? ParseDecode(string? value) => value?.ToLowerInvariant() switch
    {
        null => null,
        "scaled" => true,
        "full" => false,
        _ => throw new CliException(ExitCode.Usage, $"--decode must be full or scaled, was \"{value}\"."),
    };

    /// <summary>Reads <c>--resize</c>: <see langword="null"/> for auto.</summary>
    public static ResizeMode? ParseResize(string value) => value.ToLowerInvariant() switch
    {
        "auto" => null,
        "stretch" => ResizeMode.Stretch,
        "crop" => ResizeMode.CenterCrop,
        "pad" => ResizeMode.Pad,
        _ => throw new CliException(ExitCode.Usage, $"--resize must be auto, stretch, crop or pad, was \"{value}\"."),
    };

    /// <summary>Reads <c>--augment</c>.</summary>
    public static Augmentation.AugmentationPolicy ParseAugment(string value) =>
        Enum.TryParse<Augmentation.AugmentationPolicy>(value, ignoreCase: true, out var policy) && Enum.IsDefined(policy) && !int.TryParse(value, out _) ? policy
            : throw new CliException(ExitCode.Usage, $"--augment must be none, flip, standard or auto, was \"{value}\".");

    /// <summary>Loads a saved model.</summary>
    public static TransferModel LoadModel(string path)
    {
        string full = RequireFile(path, "Model");
        try
        {
            return TransferModel.Load(full);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or FormatException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new CliException(ExitCode.BadModel, $"Model \"{path}\" cannot be loaded: {ex.Message} Pass a model zip written by 'transfer train' or TransferModel.Save.", ex);
        }
    }

    /// <summary>
    /// Resolves <c>--backbone</c>: a built-in name, or an ONNX file with its descriptor in a JSON file of the same name
    /// (<c>mobilenet.onnx</c> + <c>mobilenet.json</c>, the <see cref="BackboneDescriptor"/> properties).
    /// </summary>
    public static Backbone ResolveBackbone(string value)
    {
        bool isPath = value.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(value);
        if (!isPath)
        {
            try
            {
                return Transfer.Backbones.Backbones.ByName(value);
            }
            catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidDataException)
            {
                throw new CliException(ExitCode.BadBackbone, ex.Message, ex);
            }
        }

        string onnx = RequireFile(value, "Backbone ONNX file");
        string descriptorPath = Path.ChangeExtension(onnx, ".json");
        if (!File.Exists(descriptorPath))
        {
            throw new CliException(ExitCode.BadBackbone, $"Backbone \"{value}\" needs its descriptor \"{descriptorPath}\": a JSON object with name, inputName, outputName, width, height, featureLength (and channelOrder, pixelScale, mean, std as the model expects).");
        }

        try
        {
            var descriptor = JsonSerializer.Deserialize<BackboneDescriptor>(File.ReadAllText(descriptorPath), Json.Options)
                ?? throw new JsonException("the file holds null");
            var backbone = Backbone.FromOnnx(onnx, descriptor);
            // Checks the file against its descriptor now (input/output names, sizes), not after the images are read.
            _ = backbone.BuildFeaturizerModel();
            return backbone;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidDataException or NotSupportedException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new CliException(ExitCode.BadBackbone, $"Backbone \"{value}\" with descriptor \"{descriptorPath}\" is unusable: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Creates the head trainer for <c>--head</c>; <paramref name="epochs"/> is epochs for neural heads, iterations (rounds
    /// for LightGBM) for ML.NET heads; <paramref name="neural"/> sets the neural heads' other options (train's --learning-rate...).
    /// </summary>
    public static HeadTrainer CreateHead(string name, int? epochs, int seed, Action<NeuralHeadOptions>? neural = null)
    {
        switch (name.ToUpperInvariant())
        {
            case "AUTO":
                return new AutoHeadTrainer(new AutoHeadOptions { Seed = seed });
            case "LBFGS":
                return new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { MaximumIterations = epochs });
            case "SDCA":
                return new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.SdcaMaximumEntropy, MaximumIterations = epochs }, seed);
            case "LIGHTGBM":
                return new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.LightGbm, MaximumIterations = epochs }, seed);
            case "SOFTMAX":
                return new NeuralHeadTrainer(new SoftmaxHead(NeuralOptions(epochs, seed, neural)));
            case "MLP":
                return new NeuralHeadTrainer(new MlpHead(NeuralOptions(epochs, seed, neural)));
            case "PROTOTYPE":
                return new PrototypeHeadTrainer();
            case "KNN":
                return new NearestNeighborHeadTrainer();
            default:
                throw new CliException(ExitCode.UnknownHead, $"Unknown head \"{name}\" (--head). Use one of: {string.Join(", ", Heads)}.");
        }
    }

    private static NeuralHeadOptions NeuralOptions(int? epochs, int seed, Action<NeuralHeadOptions>? configure)
    {
        var options = new NeuralHeadOptions { Epochs = epochs ?? NeuralHeadOptions.DefaultEpochs, Seed = seed };
        configure?.Invoke(options);
        return options;
    }
}
