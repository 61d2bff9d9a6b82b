using Onnx;

namespace Transfer.Backbones;

/// <summary>The built-in backbones, shipped offline in NuGet packages.</summary>
public static class Backbones
{
    private const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    private const string PackageVersion = "0.24.0";
    private static readonly Lazy<Backbone> LazyResNet18 = new(() => ResNet18From(null));
    private static readonly Lazy<Backbone> LazyResNet18MultiStage = new(() => MultiStage(ResNet18));

    /// <summary>
    /// Gets ResNet18 with ImageNet weights from the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0:
    /// 224×224 input, BGR with the package's mean image subtracted (its <c>ResNetPreprocess.onnx</c>), 512 features from
    /// <c>Pooling395_Output_0</c>. The files are found under <c>DnnImageModels/</c> in the app's folder (the package copies them
    /// there) or in the NuGet packages folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model files are in neither place.</exception>
    public static Backbone ResNet18 => LazyResNet18.Value;

    /// <summary>
    /// Gets ResNet18 with multi-stage features, named <c>ResNet18-MS</c>: the same model, input and preprocessing as
    /// <see cref="ResNet18"/>, but 768 features: the 512 final pooled features, then stage 3's output
    /// (<c>ReLU347_Output_0</c>, 256 × 14 × 14) globally average-pooled to 256, each block divided by its own L2 norm
    /// (<see cref="FeatureNormalization.L2"/>). The mid-level block helps on fine-grained and texture-heavy classes.
    /// Combine with <see cref="Backbone.WithInputSize"/> for larger inputs.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model files are in neither place.</exception>
    public static Backbone ResNet18MultiStage => LazyResNet18MultiStage.Value;

    /// <summary>Creates the ResNet18 backbone from a given <c>DnnImageModels</c> folder.</summary>
    /// <param name="modelsDirectory">The folder holding <c>ResNet18Onnx/ResNet18.onnx</c> and <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>; <see langword="null"/> to search the usual places.</param>
    /// <returns>The backbone.</returns>
    /// <exception cref="FileNotFoundException">The model files are missing.</exception>
    public static Backbone ResNet18From(string? modelsDirectory)
    {
        string dir = modelsDirectory ?? FindModelsDirectory();
        string model = Path.Combine(dir, "ResNet18Onnx", "ResNet18.onnx");
        string prep = Path.Combine(dir, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        if (!File.Exists(model) || !File.Exists(prep))
        {
            throw new FileNotFoundException($"ResNet18 model files not found under \"{dir}\" (need ResNet18Onnx/ResNet18.onnx and ResNetPrepOnnx/ResNetPreprocess.onnx). Reference the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 {PackageVersion} in your app; it copies them into DnnImageModels/ in the output folder.", model);
        }

        var prepModel = ModelProto.Parser.ParseFrom(File.ReadAllBytes(prep));
        var mean = prepModel.Graph.Initializer.FirstOrDefault(t => t.Name == "MeanImage")
            ?? throw new InvalidDataException($"\"{prep}\" has no MeanImage initializer; the package files are damaged. Restore the package again.");
        var descriptor = new BackboneDescriptor
        {
            Name = "ResNet18",
            InputName = "Input247",
            OutputName = "Pooling395_Output_0",
            Width = 224,
            Height = 224,
            FeatureLength = 512,
            ChannelOrder = ChannelOrder.Bgr,
            MeanImage = BackboneGraph.ReadFloats(mean),
        };
        return Backbone.FromOnnx(model, descriptor);
    }

    /// <summary>The name of <see cref="Default"/>: <c>resnet18-ms</c> (the CLI's default <c>--backbone</c>).</summary>
    public const string DefaultName = "resnet18-ms";

    /// <summary>
    /// Gets the default backbone of pipelines, the CLI and the ML.NET drop-in: <see cref="ResNet18MultiStage"/>. Measured
    /// against <see cref="ResNet18"/>'s 512 features with the automatic head (docs/ACCURACY.md): Fashion-MNIST 5,000/2,000
    /// 0.870 → 0.888, the flower photos 140/60 0.867 → 0.883, at the same featurization cost.
    /// </summary>
    public static Backbone Default => ResNet18MultiStage;

    /// <summary>Lists the built-in backbone names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["resnet18", "resnet18-ms"];

    /// <summary>
    /// Gets a built-in backbone by name (case-insensitive), optionally at another input size: <c>name@size</c> (square)
    /// or <c>name@widthxheight</c>, e.g. <c>resnet18-ms@320</c> (<see cref="Backbone.WithInputSize"/>).
    /// </summary>
    /// <param name="name">The name, e.g. <c>resnet18</c>, <c>resnet18-ms</c> (<see cref="ResNet18MultiStage"/>) or <c>resnet18-ms@320</c>.</param>
    /// <returns>The backbone.</returns>
    /// <exception cref="ArgumentException">The name is unknown or the size is not a number.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The size is out of the range <see cref="Backbone.WithInputSize"/> accepts.</exception>
    public static Backbone ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int at = name.IndexOf('@', StringComparison.Ordinal);
        string baseName = at < 0 ? name : name[..at];
        var backbone = baseName.ToUpperInvariant() switch
        {
            "RESNET18" => ResNet18,
            "RESNET18-MS" => ResNet18MultiStage,
            _ => throw new ArgumentException($"Unknown backbone \"{name}\". Built-in backbones: {string.Join(", ", Names)} (add @size for another input size, e.g. resnet18-ms@320); or pass an ONNX file with a descriptor (Backbone.FromOnnx).", nameof(name)),
        };
        if (at < 0)
        {
            return backbone;
        }

        string[] sides = name[(at + 1)..].Split('x', 'X');
        if (sides.Length is < 1 or > 2 || !sides.All(side => int.TryParse(side, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            throw new ArgumentException($"Backbone \"{name}\": the input size after @ must be a number of pixels (e.g. {baseName}@320) or width x height (e.g. {baseName}@320x256).", nameof(name));
        }

        int width = int.Parse(sides[0], System.Globalization.CultureInfo.InvariantCulture);
        int height = sides.Length == 2 ? int.Parse(sides[1], System.Globalization.CultureInfo.InvariantCulture) : width;
        return backbone.WithInputSize(width, height);
    }

    /// <summary>ResNet18's model and preprocessing with stage 3 pooled in and each block L2-normalised.</summary>
    private static Backbone MultiStage(Backbone resNet18) => Backbone.FromOnnx(resNet18.Source, resNet18.Descriptor with
    {
        Name = "ResNet18-MS",
        PooledOutputs = ["ReLU347_Output_0"],
        FeatureNormalization = FeatureNormalization.L2,
        FeatureLength = 512 + 256,
    });

    private static string FindModelsDirectory()
    {
        string local = Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        if (Directory.Exists(local))
        {
            return local;
        }

        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cached = Path.Combine(packages, PackageId, PackageVersion, "tools", "DnnImageModels");
        return Directory.Exists(cached) ? cached : local;
    }
}
