using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.IntegrationTests;

/// <summary>The fast batched featurizer against ML.NET's own ResNet18 path, on real images.</summary>
public sealed class FeaturizerParityTests
{
    private sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class FeatureRow
    {
        [VectorType]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public async Task FeaturizeAsync_CompatibleMode_EqualsDnnFeaturizeImage()
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTest);
        var sample = ImageSet.FromEntries(images.Entries.Where((_, i) => i % 8 == 0).Take(25), images.Classes);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { Preprocessing = ImagePreprocessing.Compatible, BatchSize = 8 });
        var ours = await featurizer.FeaturizeAsync(sample);
        Assert.Equal(sample.Count, ours.Features.Count);

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(sample.Entries.Select(e => new PathRow { ImagePath = e.Path! }));
        var pipeline = ml.Transforms.LoadImages("Image", null, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 224, 224, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
        var transformed = pipeline.Fit(data).Transform(data);
        var reference = ml.Data.CreateEnumerable<FeatureRow>(transformed, reuseRowObject: false).ToList();
        Assert.Equal(sample.Count, reference.Count);
        for (int i = 0; i < sample.Count; i++)
        {
            AssertClose(reference[i].Features, ours.Features.Row(i), 1e-3f, sample.Entries[i].Name);
        }
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 0;
        foreach (var v in expected)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }

        for (int j = 0; j < expected.Length; j++)
        {
            float tolerance = relative * Math.Max(Math.Abs(expected[j]), scale * 1e-2f);
            if (Math.Abs(expected[j] - actual[j]) > tolerance)
            {
                Assert.Fail($"{what}: feature {j} differs: expected {expected[j]}, got {actual[j]} (tolerance {tolerance}).");
            }
        }
    }
}
