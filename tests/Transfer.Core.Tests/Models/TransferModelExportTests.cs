using Microsoft.ML;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;
using Transfer.Testing;
using Xunit.Abstractions;

namespace Transfer.Core.Tests.Models;

/// <summary>
/// <c>TransferModel.ExportOnnx</c> on the tiny backbone: the exported file, scored by ONNX Runtime from RGB bytes of any
/// size, gives the probabilities and label <c>Predictor</c> gives for the same encoded image, for every resize mode and head.
/// </summary>
public sealed class TransferModelExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-export-").FullName;
    // Odd, portrait, landscape, smaller and larger than the 32×32 input, and exactly its size.
    private static readonly (int Width, int Height)[] Sizes = [(37, 23), (23, 37), (32, 32), (16, 16), (64, 48), (101, 7)];

    [Theory]
    [InlineData(ResizeMode.Stretch)]
    [InlineData(ResizeMode.CenterCrop)]
    [InlineData(ResizeMode.Pad)]
    public async Task Export_EachResizeMode_AgreesWithPredictorAtEverySize(ResizeMode mode)
    {
        using var model = await TrainAsync(new MaximumEntropyHeadTrainer(), mode);

        double worst = AssertAgrees(model, Sizes);

        output.WriteLine($"{mode}: largest probability difference {worst:G3}");
    }

    public static TheoryData<string> Heads => ["maxent", "lbfgs", "sdca", "lightgbm", "softmax", "mlp", "prototype", "knn"];

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task Export_EachHead_AgreesWithPredictorBeforeAndAfterSaving(string head)
    {
        using var model = await TrainAsync(Trainer(head), ResizeMode.Stretch);
        string zip = Path.Combine(_root, "model.zip");
        model.Save(zip);
        using var loaded = TransferModel.Load(zip);

        double fresh = AssertAgrees(model, [(37, 23)]);
        double reloaded = AssertAgrees(loaded, [(37, 23), (20, 41)]);

        output.WriteLine($"{head}: largest probability difference {fresh:G3} (trained), {reloaded:G3} (loaded)");
    }

    [Theory]
    [InlineData(ResizeMode.Stretch)]
    [InlineData(ResizeMode.CenterCrop)]
    [InlineData(ResizeMode.Pad)]
    public async Task Export_TransparentImageCompositedOnTheMetadataBackground_AgreesWithPredictor(ResizeMode mode)
    {
        using var model = await TrainAsync(new MaximumEntropyHeadTrainer(), mode);
        using var predictor = model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var scorer = new OnnxExportScorer(model.ExportOnnxBytes());
        int background = int.Parse(scorer.Metadata["alpha_background"], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        byte[] png = TestImages.Png(37, 23, (x, y) => new SkiaSharp.SKColor((byte)(x * 7), 40, (byte)(y * 11), (byte)(y < 8 ? 0 : x < 18 ? 128 : 255)));

        var expected = predictor.Predict(png);
        var (probabilities, label) = scorer.Score(png, background);
        var (wrong, _) = scorer.Score(png, background ^ 0xFFFFFF);

        // Predictor composites transparent pixels on the background in every resize mode (the crop and pad canvas keeps
        // the drawn alpha), so the caller does the same; the opposite colour must show, or this test could not fail.
        Assert.Equal(expected.Label, label);
        double right = probabilities.Select((p, k) => Math.Abs(p - expected.Scores[k])).Max();
        double off = wrong.Select((p, k) => Math.Abs(p - expected.Scores[k])).Max();
        Assert.True(right < 2e-3, $"{mode}: [{string.Join(", ", probabilities)}] vs predictor [{string.Join(", ", expected.Scores)}]");
        Assert.True(off > Math.Max(1e-3, 10 * right), $"{mode}: the wrong background gives [{string.Join(", ", wrong)}], as close to [{string.Join(", ", expected.Scores)}] as the right one ({right:G3})");
    }

    [Fact]
    public async Task Export_TestTimeFlip_IsInsideTheGraph()
    {
        using var model = await TrainAsync(new MaximumEntropyHeadTrainer(), ResizeMode.CenterCrop, TestTimeAugmentation.HorizontalFlip);

        AssertAgrees(model, [(37, 23)]);
        using var scorer = new OnnxExportScorer(model.ExportOnnxBytes());
        Assert.Equal("HorizontalFlip", scorer.Metadata["test_time_augmentation"]);
    }

    [Fact]
    public async Task ExportOnnx_WritesTheFileWithClassesAndProvenanceInItsMetadata()
    {
        using var model = await TrainAsync(new MaximumEntropyHeadTrainer(), ResizeMode.Pad);
        string path = Path.Combine(_root, "model.onnx");

        model.ExportOnnx(path);

        using var scorer = new OnnxExportScorer(File.ReadAllBytes(path));
        var m = scorer.Metadata;
        Assert.Equal("[" + string.Join(",", model.Classes.Select(c => $"\"{c}\"")) + "]", m["classes"]);
        Assert.Equal(model.Manifest.Preprocessing, m["preprocessing"]);
        Assert.Equal("Pad", m["resize_mode"]);
        Assert.Equal("FFFFFF", m["alpha_background"]);
        Assert.Equal("Tiny", m["backbone"]);
        Assert.Equal(TinyBackbone.Default.Fingerprint, m["backbone_fingerprint"]);
        Assert.Equal(model.Manifest.Head, m["head"]);
        Assert.Equal(TransferModelExport.InputContract, m["input_contract"]);
        Assert.Equal(model.Manifest.CreatedUtc.UtcDateTime, DateTime.Parse(m["created_utc"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
    }

    [Fact]
    public async Task ExportOnnx_FolderIsAFile_ThrowsIOExceptionNamingThePath()
    {
        using var model = await TrainAsync(new MaximumEntropyHeadTrainer(), ResizeMode.Stretch);
        string file = Path.Combine(_root, "file");
        File.WriteAllText(file, "not a folder");
        string path = Path.Combine(file, "model.onnx");

        var e = Assert.Throws<IOException>(() => model.ExportOnnx(path));

        Assert.StartsWith($"ONNX file \"{path}\" could not be written:", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Choose a path in a writable folder; no file was created.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportOnnx_HeadWithoutAnOnnxForm_ThrowsNotSupportedNamingTheHeadAndTheFix()
    {
        using var trained = await TrainAsync(new MaximumEntropyHeadTrainer(), ResizeMode.Stretch);
        var head = new CustomMappingHead(trained.Classes, trained.Manifest.FeatureLength);
        using var model = TransferModel.FromParts(trained.Manifest with { Head = "custom" }, head, () => trained.GetBackboneGraph().ToArray());

        var e = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(Path.Combine(_root, "custom.onnx")));

        Assert.StartsWith("The model's head \"custom\" cannot be exported to ONNX: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Retrain the model with a head that exports (lbfgs, the default maximum entropy; a neural, prototype or knn head), e.g. transfer train … --head lbfgs.", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "custom.onnx")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Scores images of each size with the predictor and the export; returns the largest probability difference.</summary>
    private static double AssertAgrees(TransferModel model, (int Width, int Height)[] sizes)
    {
        using var predictor = model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var scorer = new OnnxExportScorer(model.ExportOnnxBytes());
        double worst = 0;
        foreach (var (width, height) in sizes)
        {
            var options = new SyntheticImageOptions { Width = width, Height = height, Seed = 7 };
            foreach (var cls in options.Classes)
            {
                byte[] encoded = SyntheticImages.Draw(cls, 1, options);
                var expected = predictor.Predict(encoded);
                var (probabilities, label) = scorer.Score(encoded);
                for (int k = 0; k < probabilities.Length; k++)
                {
                    worst = Math.Max(worst, Math.Abs(probabilities[k] - expected.Scores[k]));
                }

                Assert.True(worst < 2e-3, $"{width}×{height} {cls.Name}: probabilities [{string.Join(", ", probabilities)}], predictor [{string.Join(", ", expected.Scores)}]");
                Assert.Equal(expected.Label, label);
            }
        }

        return worst;
    }

    private static HeadTrainer Trainer(string head) => head switch
    {
        "maxent" => new MaximumEntropyHeadTrainer(),
        "lbfgs" => new MlNetHeadTrainer(),
        "sdca" => new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.SdcaMaximumEntropy }),
        "lightgbm" => new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = MlNetTrainerKind.LightGbm }),
        "softmax" => new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { Epochs = 5, Seed = 3, AllowNoValidation = true })),
        "mlp" => new NeuralHeadTrainer(new MlpHead(new NeuralHeadOptions { Epochs = 5, Seed = 3, HiddenLayers = [8], AllowNoValidation = true })),
        "prototype" => new PrototypeHeadTrainer(),
        "knn" => new NearestNeighborHeadTrainer(),
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, null),
    };

    private static async Task<TransferModel> TrainAsync(HeadTrainer trainer, ResizeMode mode, TestTimeAugmentation tta = TestTimeAugmentation.None)
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 4, Width = 40, Height = 30 });
        using var featurizer = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { OptimizedGraphDirectory = null, Preprocessing = new ImagePreprocessing { ResizeMode = mode } });
        var features = await featurizer.FeaturizeAsync(images);
        var head = trainer.Train(features.Features, null, features.Classes);
        var model = TransferModel.Create(featurizer, head, trainer.Describe(), tta);
        _ = model.GetBackboneGraph(); // built now, while the featurizer is alive
        return model;
    }

    /// <summary>A head whose ML.NET scorer is a custom mapping, which ML.NET's ONNX converter cannot express.</summary>
    private sealed class CustomMappingHead : TrainedHead
    {
        public CustomMappingHead(IReadOnlyList<string> classes, int featureLength)
            : base(classes, featureLength)
        {
            var ml = new MLContext(0);
            var schema = Microsoft.ML.Data.SchemaDefinition.Create(typeof(In));
            schema[nameof(In.Features)].ColumnType = new Microsoft.ML.Data.VectorDataViewType(Microsoft.ML.Data.NumberDataViewType.Single, featureLength);
            var empty = ml.Data.LoadFromEnumerable(new List<In>(), schema);
            ScoringTransformer = ml.Transforms.CustomMapping<In, Out>((i, o) => o.Score = new float[classes.Count], contractName: null).Fit(empty);
        }

        public override string TrainerName => "custom";

        public override ITransformer ScoringTransformer { get; }

        public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities) => probabilities.Fill(1f / Classes.Count);
    }

    private sealed class In
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class Out
    {
        public float[] Score { get; set; } = [];
    }
}
