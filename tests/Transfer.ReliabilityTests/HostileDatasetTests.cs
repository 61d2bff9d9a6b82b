using SkiaSharp;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;
using Transfer.Validation;

namespace Transfer.ReliabilityTests;

/// <summary>Training, evaluation and prediction on the real ResNet18 over folders that hold every format and every hostile file.</summary>
public sealed class HostileDatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-rel-e2e-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    /// <summary>Files every decoder case must accept (name → bytes), written into a class folder.</summary>
    private static Dictionary<string, byte[]> ValidVariants()
    {
        byte[] real = File.ReadAllBytes(TestData.Images("train", "Bag", 1)[0]);
        using var bitmap = SKBitmap.Decode(real);
        SKColor Real(int x, int y) => bitmap.GetPixel(x, y);
        return new Dictionary<string, byte[]>
        {
            ["as jpeg.jpg"] = HostileFiles.Encode(28, 28, Real, SKEncodedImageFormat.Jpeg),
            ["as webp.webp"] = HostileFiles.Encode(28, 28, Real, SKEncodedImageFormat.Webp, 90),
            ["as bmp.bmp"] = HostileFiles.Bmp(28, 28, Real),
            ["animated.gif"] = HostileFiles.AnimatedGif(28, 28, SKColors.Gray, SKColors.White),
            ["16-bit.png"] = HostileFiles.RawPng(28, 28, 16, 0, (x, y) => [(ushort)(Real(x, y).Red * 257)]),
            ["palette.png"] = HostileFiles.RawPng(28, 28, 8, 3, (x, y) => [(ushort)(Real(x, y).Red > 128 ? 1 : 0)], [0, 0, 0, 255, 255, 255]),
            ["alpha.png"] = HostileFiles.Encode(28, 28, (x, y) => Real(x, y).WithAlpha((byte)(x * 9)), SKEncodedImageFormat.Png),
            ["cmyk.jpg"] = File.ReadAllBytes(HostileFiles.TestFile("cmyk.jpg")),
            ["rotated exif 6.jpg"] = HostileFiles.WithExifOrientation(HostileFiles.Encode(28, 28, Real, SKEncodedImageFormat.Jpeg), 6),
            ["one pixel.png"] = HostileFiles.Encode(1, 1, (_, _) => SKColors.Gray, SKEncodedImageFormat.Png),
        };
    }

    /// <summary>Files that must be refused (name → expected start of the reason).</summary>
    private static readonly Dictionary<string, (string Case, string Reason)> HostileVariants = new()
    {
        ["zero.png"] = ("zero-bytes", "the file is empty"),
        ["page.png"] = ("html-as-png", "not a recognised image format"),
        ["noise.jpg"] = ("random-as-jpg", "not a recognised image format"),
        ["tiff inside.png"] = ("tiff", "not a recognised image format"),
        ["cut.png"] = ("truncated-png", "the file is truncated"),
        ["cut.jpg"] = ("truncated-jpeg", "the file is truncated"),
        ["bomb.png"] = ("bomb", "the header declares 100000×100000"),
    };

    [Fact]
    public async Task Train_SkipPolicy_KeepsEveryValidFormatAndReportsEachHostileFile()
    {
        string train = Path.Combine(_root, "train");
        TestData.CopyClasses(train, 6, "Bag", "Trouser");
        foreach (var (name, bytes) in ValidVariants())
        {
            File.WriteAllBytes(Path.Combine(train, "Bag", name), bytes);
        }

        WriteHostile(Path.Combine(train, "Trouser"));
        File.WriteAllBytes(Path.Combine(train, "Trouser", "scan.tiff"), HostileFiles.Tiff());
        var set = ImageSet.FromDirectory(train);
        Assert.Contains(set.Skipped, s => s.Source.EndsWith("scan.tiff", StringComparison.Ordinal) && s.Reason.StartsWith("not an image extension (.tiff)", StringComparison.Ordinal));

        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { BadImagePolicy = BadImagePolicy.Skip });
        var features = await featurizer.FeaturizeAsync(set);
        Assert.Equal(12 + ValidVariants().Count, features.Features.Count);
        Assert.Equal(HostileVariants.Count, features.Skipped.Count);
        foreach (var (name, (_, reason)) in HostileVariants)
        {
            var skipped = Assert.Single(features.Skipped, s => s.Source == Path.Combine(train, "Trouser", name));
            Assert.StartsWith(reason, skipped.Reason, StringComparison.Ordinal);
        }

        Assert.All(features.Features.Values, v => Assert.True(float.IsFinite(v)));

        // The head trains and evaluates on what was kept; a hostile test image is skipped the same way.
        var head = new MlNetHeadTrainer().Train(features.Features, null, features.Classes);
        string test = Path.Combine(_root, "test");
        Directory.CreateDirectory(Path.Combine(test, "Bag"));
        Directory.CreateDirectory(Path.Combine(test, "Trouser"));
        foreach (string label in new[] { "Bag", "Trouser" })
        {
            foreach (string file in TestData.Images("test", label, 5))
            {
                File.Copy(file, Path.Combine(test, label, Path.GetFileName(file)));
            }
        }

        File.WriteAllBytes(Path.Combine(test, "Bag", "cut.png"), ImageFormatTests.Hostile("truncated-png"));
        var testFeatures = await featurizer.FeaturizeAsync(ImageSet.FromEntries(ImageSet.FromDirectory(test).Entries, features.Classes));
        Assert.Single(testFeatures.Skipped);
        var evaluation = Evaluator.Evaluate(head, testFeatures.Features);
        Assert.Equal(10, evaluation.Count);
        Assert.True(evaluation.MicroAccuracy >= 0.8, $"Bag vs Trouser accuracy {evaluation.MicroAccuracy}.");

        // Prediction: every valid variant predicts; every hostile file is refused naming it.
        using var model = TransferModel.Create(featurizer, head, "test");
        using var predictor = model.CreatePredictor();
        foreach (var name in ValidVariants().Keys)
        {
            Assert.Contains(predictor.Predict(Path.Combine(train, "Bag", name)).Label, features.Classes);
        }

        foreach (var name in HostileVariants.Keys)
        {
            string path = Path.Combine(train, "Trouser", name);
            Assert.Equal(path, Assert.Throws<InvalidImageException>(() => predictor.Predict(path)).Source);
        }
    }

    [Fact]
    public async Task RunAsync_FailPolicyWithAHostileFile_ThrowsInvalidImageNamingIt()
    {
        TestData.CopyClasses(_root, 4, "Bag", "Trouser");
        string bad = Path.Combine(_root, "Bag", "page.png");
        File.WriteAllBytes(bad, HostileFiles.Html());
        var pipeline = TransferPipeline.For(ImageSet.FromDirectory(_root)).WithoutBottleneckCache().Build();
        var e = await Assert.ThrowsAsync<InvalidImageException>(() => pipeline.RunAsync());
        Assert.Equal(bad, e.Source);
        Assert.StartsWith($"Image \"{bad}\" could not be used: not a recognised image format (first bytes: 3C21444F43545950)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SkipPolicyLeavingOneClass_FailsSayingSo()
    {
        TestData.CopyClasses(_root, 4, "Bag");
        Directory.CreateDirectory(Path.Combine(_root, "Trouser"));
        File.WriteAllBytes(Path.Combine(_root, "Trouser", "zero.png"), []);
        File.WriteAllBytes(Path.Combine(_root, "Trouser", "page.png"), HostileFiles.Html());
        var pipeline = TransferPipeline.For(ImageSet.FromDirectory(_root)).WithoutBottleneckCache()
            .WithFeaturizer(new FeaturizerOptions { BadImagePolicy = BadImagePolicy.Skip }).Build();
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => pipeline.RunAsync());
        Assert.Contains("Trouser", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OneClassFolder_FailsBeforeAnyWork()
    {
        TestData.CopyClasses(_root, 3, "Bag");
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(ImageSet.FromDirectory(_root)).Build());
        Assert.Contains("a classifier needs at least two", e.Message, StringComparison.Ordinal);
    }

    private static void WriteHostile(string folder)
    {
        foreach (var (name, (kind, _)) in HostileVariants)
        {
            File.WriteAllBytes(Path.Combine(folder, name), kind == "bomb" ? HostileFiles.PngBomb(100_000, 100_000) : ImageFormatTests.Hostile(kind));
        }
    }
}
