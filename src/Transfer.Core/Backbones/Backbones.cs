using Onnx;

namespace Transfer.Backbones;

/// <summary>The built-in backbones, shipped offline in NuGet packages.</summary>
public static class Backbones
{
    private const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    private const string PackageVersion = "0.23.1";
    private static readonly Lazy<Backbone> LazyResNet18 = new(() => ResNet18From(null));

    /// <summary>
    /// Gets ResNet18 with ImageNet weights from the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1:
    /// 224×224 input, BGR with the package's mean image subtracted (its <c>ResNetPreprocess.onnx</c>), 512 features from
    /// <c>Pooling395_Output_0</c>. The files are found under <c>DnnImageModels/</c> in the app's folder (the package copies them
    /// there) or in the NuGet packages folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model files are in neither place.</exception>
    public static Backbone ResNet18 => LazyResNet18.Value;

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

    /// <summary>Lists the built-in backbone names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["resnet18"];

    /// <summary>Gets a built-in backbone by name (case-insensitive).</summary>
    /// <param name="name">The name, e.g. <c>resnet18</c>.</param>
    /// <returns>The backbone.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static Backbone ByName(string name) => name?.ToUpperInvariant() switch
    {
        "RESNET18" => ResNet18,
        _ => throw new ArgumentException($"Unknown backbone \"{name}\". Built-in backbones: {string.Join(", ", Names)}; or pass an ONNX file with a descriptor (Backbone.FromOnnx).", nameof(name)),
    };

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
