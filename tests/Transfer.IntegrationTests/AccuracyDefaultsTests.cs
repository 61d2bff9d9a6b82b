using SkiaSharp;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;
using Transfer.Testing;

namespace Transfer.IntegrationTests;

/// <summary>Augmentation and test-time augmentation decided by cross-validation, and the model with a test-time flip, on the real ResNet18.</summary>
public sealed class AccuracyDefaultsTests
{
    [Fact]
    public async Task RunAsync_LeftAndRightArrowsWithAutoAugmentation_NeverPicksFlipping()
    {
        // Flipping turns a left arrow into a right one: flipped views carry the wrong label and a flipped test image scores as the other class.
        var images = Arrows(perClass: 10, seed: 3);
        using var result = await TransferPipeline.For(images).WithBackbone(Backbones.Backbones.ResNet18).WithoutBottleneckCache().Augment(AugmentationPolicy.Auto).Build().RunAsync();
        Assert.Equal(0, result.AugmentedViews);
        Assert.Equal(TestTimeAugmentation.None, result.TestTimeAugmentation);
        Assert.Equal(20, result.TrainedOnImages);
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.6); // learnable without flips (chance is 0.5)
    }

    [Fact]
    public async Task Create_TestTimeFlip_PlainMlNetAndPredictorScoreTheAverageOfImageAndMirror()
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTest);
        var train = ImageSet.FromEntries(images.Entries.Where((_, i) => i % 4 == 0), images.Classes);
        var check = ImageSet.FromEntries(images.Entries.Where((_, i) => i % 4 == 1).Take(6), images.Classes);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        using var flipped = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { View = AugmentationView.HorizontalFlip });
        var features = await featurizer.FeaturizeAsync(train);
        var head = new MaximumEntropyHeadTrainer().Train(features.Features, null, train.Classes);
        using var model = TransferModel.Create(featurizer, head, "lbfgs", TestTimeAugmentation.HorizontalFlip);
        Assert.Equal(TestTimeAugmentation.HorizontalFlip, model.Manifest.TestTimeAugmentation);

        // Saved, reloaded and scored by plain ML.NET (PredictionEngine): the same scores as the Predictor.
        TransferAssert.SavedAndReloadedPredictsSame(model, check);

        // And those scores are the head's on the mean of the image's and its mirror's features.
        var plain = (await featurizer.FeaturizeAsync(check)).Features;
        var mirror = (await flipped.FeaturizeAsync(check)).Features;
        var averaged = new float[plain.Count * plain.Dimension];
        for (int i = 0; i < averaged.Length; i++)
        {
            averaged[i] = (plain.Values[i] + mirror.Values[i]) / 2;
        }

        var expected = head.PredictProbabilities(new FeatureMatrix(averaged, plain.Count, plain.Dimension, plain.Labels, plain.ClassCount));
        using var predictor = model.CreatePredictor();
        var predictions = predictor.PredictBatch(check.Entries, top: 1);
        for (int i = 0; i < check.Count; i++)
        {
            for (int k = 0; k < model.Classes.Count; k++)
            {
                Assert.True(Math.Abs(predictions[i].Scores[k] - expected[(i * model.Classes.Count) + k]) < 1e-4, $"{check.Entries[i].Name} class {k}: {predictions[i].Scores[k]} vs {expected[(i * model.Classes.Count) + k]}");
            }
        }

        // Reloaded from the zip, the manifest still says so.
        using var folder = new TempDirectory();
        string path = Path.Combine(folder.Path, "tta.zip");
        model.Save(path);
        using var reloaded = TransferModel.Load(path);
        Assert.Equal(TestTimeAugmentation.HorizontalFlip, reloaded.Manifest.TestTimeAugmentation);
    }

    /// <summary>Arrows pointing left or right, of random size, position and colour, on a light background.</summary>
    private static ImageSet Arrows(int perClass, int seed)
    {
        var random = new Random(seed);
        var entries = new List<ImageEntry>();
        foreach (var (label, direction) in new[] { ("left", -1), ("right", 1) })
        {
            for (int i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(160, 160, SKColorType.Rgba8888, SKAlphaType.Opaque));
                using (var canvas = new SKCanvas(bitmap))
                {
                    canvas.Clear(new SKColor((byte)random.Next(220, 255), (byte)random.Next(220, 255), (byte)random.Next(220, 255)));
                    using var paint = new SKPaint { Color = new SKColor((byte)random.Next(0, 120), (byte)random.Next(0, 120), (byte)random.Next(0, 120)), IsAntialias = true };
                    float cx = random.Next(60, 100), cy = random.Next(60, 100), length = random.Next(70, 110), width = random.Next(14, 26);
                    float tip = cx + (direction * length / 2), tail = cx - (direction * length / 2), neck = tip - (direction * length * 0.4f);
                    canvas.DrawRect(Math.Min(tail, neck), cy - (width / 2), Math.Abs(neck - tail), width, paint);
                    using var head = new SKPath();
                    head.MoveTo(tip, cy);
                    head.LineTo(neck, cy - (width * 1.6f));
                    head.LineTo(neck, cy + (width * 1.6f));
                    head.Close();
                    canvas.DrawPath(head, paint);
                }

                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                entries.Add(ImageEntry.FromBytes(data.ToArray(), label, $"{label}{i}.png"));
            }
        }

        return ImageSet.FromEntries(entries);
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("transfer-tta-").FullName;

        public void Dispose() => Directory.Delete(Path, true);
    }
}
