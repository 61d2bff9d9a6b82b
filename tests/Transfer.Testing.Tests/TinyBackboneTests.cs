using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Testing.Tests;

public sealed class TinyBackboneTests
{
    private static readonly SyntheticImageOptions OneColourShapes = new()
    {
        ImagesPerClass = 12,
        Classes =
        [
            new("circle", SyntheticShape.Circle, 0xE02020),
            new("square", SyntheticShape.Square, 0xE02020),
            new("triangle", SyntheticShape.Triangle, 0xE02020),
            new("cross", SyntheticShape.Cross, 0xE02020),
            new("ring", SyntheticShape.Ring, 0xE02020),
            new("stripes", SyntheticShape.Stripes, 0xE02020),
        ],
    };

    [Fact]
    public void BuildOnnx_SameSeed_GivesSameBytesAndFingerprint()
    {
        Assert.Equal(TinyBackbone.BuildOnnx(), TinyBackbone.BuildOnnx(TinyBackbone.DefaultSeed));
        Assert.Equal(TinyBackbone.Default.Fingerprint, TinyBackbone.Create().Fingerprint);
        Assert.NotEqual(TinyBackbone.Default.Fingerprint, TinyBackbone.Create(7).Fingerprint);
        Assert.InRange(TinyBackbone.BuildOnnx().Length, 1_000, 100_000);
    }

    [Fact]
    public void Default_IsAnOrdinaryBackbone()
    {
        var backbone = TinyBackbone.Default;
        Assert.Equal("Tiny", backbone.Name);
        Assert.Equal("Tiny-7", TinyBackbone.Create(7).Name);
        Assert.Equal((32, 32, 64), (backbone.Width, backbone.Height, backbone.FeatureLength));
        // The same graph rewrite as every backbone: pixels [N,4,H,W] → features [N,64].
        var graph = Onnx.ModelProto.Parser.ParseFrom(backbone.BuildFeaturizerModel());
        Assert.Equal("Pixels", graph.Graph.Input.Single().Name);
        Assert.Equal("Features", graph.Graph.Output.Single().Name);
    }

    [Fact]
    public async Task FeaturizeAsync_SameImagesTwice_GivesIdenticalFiniteFeatures()
    {
        var images = SyntheticImages.InMemory();
        using var first = new Featurizer(TinyBackbone.Default);
        using var second = new Featurizer(TinyBackbone.Create());
        var a = await first.FeaturizeAsync(images);
        var b = await second.FeaturizeAsync(images);
        Assert.Equal(a.Features.Values, b.Features.Values);
        Assert.All(a.Features.Values, v => Assert.True(float.IsFinite(v) && v >= 0, $"feature {v} is not a finite ReLU output"));
        Assert.NotEqual(a.Features.Row(0).ToArray(), a.Features.Row(images.Count - 1).ToArray());
    }

    [Fact]
    public async Task FeaturizeAsync_DefaultClasses_NearestCentroidSeparatesANewSample()
    {
        double accuracy = await NearestCentroidAccuracy(new SyntheticImageOptions { ImagesPerClass = 10 });
        Assert.True(accuracy >= 0.95, $"Nearest-centroid accuracy on the default classes was {accuracy:F3}, expected at least 0.95.");
    }

    [Fact]
    public async Task FeaturizeAsync_SixShapesOfOneColour_SeparatesThemWellAboveChance()
    {
        // Chance is 1/6; only the shapes differ, so this is what the features carry beyond colour.
        double accuracy = await NearestCentroidAccuracy(OneColourShapes);
        Assert.True(accuracy >= 0.5, $"Nearest-centroid accuracy on six one-colour shapes was {accuracy:F3}, expected at least 0.5.");
    }

    /// <summary>Class centroids from one seed's images, accuracy on another seed's.</summary>
    private static async Task<double> NearestCentroidAccuracy(SyntheticImageOptions options)
    {
        using var featurizer = new Featurizer(TinyBackbone.Default);
        var train = (await featurizer.FeaturizeAsync(SyntheticImages.InMemory(options with { Seed = 1 }))).Features;
        var test = (await featurizer.FeaturizeAsync(SyntheticImages.InMemory(options with { Seed = 2 }))).Features;
        int d = train.Dimension, c = train.ClassCount;
        var centroids = new double[c * d];
        var counts = new int[c];
        for (int i = 0; i < train.Count; i++)
        {
            counts[train.Labels[i]]++;
            for (int j = 0; j < d; j++)
            {
                centroids[(train.Labels[i] * d) + j] += train.Values[(i * d) + j];
            }
        }

        for (int k = 0; k < c; k++)
        {
            for (int j = 0; j < d; j++)
            {
                centroids[(k * d) + j] /= counts[k];
            }
        }

        int correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            int best = -1;
            double bestDistance = double.MaxValue;
            for (int k = 0; k < c; k++)
            {
                double distance = 0;
                for (int j = 0; j < d; j++)
                {
                    double x = test.Values[(i * d) + j] - centroids[(k * d) + j];
                    distance += x * x;
                }

                if (distance < bestDistance)
                {
                    (bestDistance, best) = (distance, k);
                }
            }

            correct += best == test.Labels[i] ? 1 : 0;
        }

        return (double)correct / test.Count;
    }
}
