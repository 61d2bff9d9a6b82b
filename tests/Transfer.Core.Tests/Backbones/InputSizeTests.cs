using Transfer.Backbones;
using Transfer.Testing;

namespace Transfer.Core.Tests.Backbones;

/// <summary><see cref="Backbone.WithInputSize"/>: larger inputs for globally pooled CNNs, on a tiny CNN.</summary>
public sealed class InputSizeTests
{
    [Fact]
    public void WithInputSize_TinyCnnAt32_RunsWithFiniteFeaturesNewNameAndFingerprint()
    {
        var original = Backbone.FromBytes(MultiStageFeatureTests.Model(), MultiStageFeatureTests.Descriptor());
        var larger = original.WithInputSize(32, 32);
        Assert.Equal("TinyCnn@32", larger.Name);
        Assert.Equal((32, 32, 4), (larger.Width, larger.Height, larger.FeatureLength));
        Assert.NotEqual(original.Fingerprint, larger.Fingerprint);
        Assert.NotEqual(original.FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default), larger.FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default));

        var graph = Onnx.ModelProto.Parser.ParseFrom(larger.BuildFeaturizerModel());
        Assert.Equal("GlobalAveragePool", graph.Graph.Node.Single(n => n.Name == "gap").OpType);
        var features = FeatureGraphRunner.Run(larger.BuildFeaturizerModel(), FeatureGraphRunner.Pixels(1, 2, 32, 32), 2, 32, 32);
        Assert.Equal(2 * 4, features.Length);
        Assert.All(features, f => Assert.True(float.IsFinite(f)));
    }

    [Fact]
    public void WithInputSize_UniformImage_SameFeaturesAsTheModelsOwnSizeAwayFromTheBorder()
    {
        // A uniform image gives the same per-channel activations everywhere but near the zero padding; the global pool
        // then differs from the original only by the border's share, so the features stay close (and finite), not equal.
        var original = Backbone.FromBytes(MultiStageFeatureTests.Model(), MultiStageFeatureTests.Descriptor());
        var larger = original.WithInputSize(64, 48);
        Assert.Equal("TinyCnn@64x48", larger.Name);
        var small = FeatureGraphRunner.Run(original.BuildFeaturizerModel(), Uniform(8, 8), 1, 8, 8);
        var big = FeatureGraphRunner.Run(larger.BuildFeaturizerModel(), Uniform(64, 48), 1, 64, 48);
        Assert.NotEqual(small, big);
        Assert.True(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(small, big) > 0.9f, $"[{string.Join(", ", small)}] vs [{string.Join(", ", big)}]");
    }

    [Fact]
    public void WithInputSize_ModelWithDynamicSize_FinalPoolAveragesTheWholeLargerMap()
    {
        // The model declares [1, 3, h, w] but its AveragePool kernel (4×4) fits only 8×8 inputs; at 32×32 the features
        // must be the channel means of the 16×16 map r2, not the mean of its top-left corner.
        var model = Quantization.TinyCnn.Create();
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2].DimParam = "h";
        dims[3].DimParam = "w";
        byte[] bytes = Google.Protobuf.MessageExtensions.ToByteArray(model);
        var larger = Backbone.FromBytes(bytes, MultiStageFeatureTests.Descriptor()).WithInputSize(32, 32);
        var map = Backbone.FromBytes(bytes, MultiStageFeatureTests.Descriptor() with { Width = 32, Height = 32, OutputName = "r2", FeatureLength = 4 * 16 * 16 });
        var pixels = FeatureGraphRunner.Pixels(9, 1, 32, 32);

        var features = FeatureGraphRunner.Run(larger.BuildFeaturizerModel(), pixels, 1, 32, 32);
        var r2 = FeatureGraphRunner.Run(map.BuildFeaturizerModel(), pixels, 1, 32, 32);
        for (int c = 0; c < 4; c++)
        {
            float expected = r2.AsSpan(c * 256, 256).ToArray().Average();
            Assert.True(Math.Abs(expected - features[c]) <= 1e-4f * Math.Max(1f, Math.Abs(expected)), $"channel {c}: {features[c]} vs the map's mean {expected}");
        }
    }

    [Fact]
    public void WithInputSize_OriginalSize_ReturnsTheOriginal()
    {
        var original = Backbone.FromBytes(MultiStageFeatureTests.Model(), MultiStageFeatureTests.Descriptor());
        var larger = original.WithInputSize(40, 40);
        Assert.Same(original, larger.WithInputSize(8, 8));
        Assert.Equal("TinyCnn@48", larger.WithInputSize(48, 48).Name); // sized from the original, not "@40@48"
    }

    [Theory]
    [InlineData(16, 224, "width", 16)]
    [InlineData(224, 2048, "height", 2048)]
    public void WithInputSize_SideOutOfRange_ThrowsNamingTheValueAndRange(int width, int height, string name, int value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TinyBackbone.Default.WithInputSize(width, height));
        Assert.Equal(name, e.ParamName);
        Assert.StartsWith($"WithInputSize {name} must be 32 to 1024 pixels, was {value}. Pass a size in that range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithInputSize_FeaturesNotFromAnAveragePool_BuildThrowsNamingTheNode()
    {
        var larger = TinyBackbone.Default.WithInputSize(64, 64);
        var e = Assert.Throws<ArgumentException>(() => larger.BuildFeaturizerModel());
        Assert.Equal("Backbone \"Tiny@64\": the input size 64×64 differs from the model's 32×32, which needs the features to come from a global average pool, but output \"features\" comes from node \"concat\" (Concat), not an AveragePool or GlobalAveragePool. Use the model's own size, or a model whose features are globally average-pooled.", e.Message);
    }

    [Fact]
    public void WithInputSize_MeanImage_ResizedBilinearlyWithHalfPixelCentres()
    {
        // 2×2 → 4×4 with half-pixel centres samples at −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        var resized = BilinearResize.Planes([0f, 1f, 2f, 3f], 1, 2, 2, 4, 4);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], resized[..4]);
        Assert.Equal([0f, 0.25f, 0.75f, 1f, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2f, 2.25f, 2.75f, 3f], resized);

        var random = new Random(3);
        float[] mean = [.. Enumerable.Range(0, 3 * 8 * 8).Select(_ => (float)random.NextDouble())];
        var d = MultiStageFeatureTests.Descriptor() with { Mean = null, MeanImage = mean };
        var larger = Backbone.FromBytes(MultiStageFeatureTests.Model(), d).WithInputSize(32, 32);
        Assert.Equal(3 * 32 * 32, larger.Descriptor.MeanImage!.Count);
        Assert.Equal(BilinearResize.Planes(mean, 3, 8, 8, 32, 32), larger.Descriptor.MeanImage);
        Assert.InRange(larger.Descriptor.MeanImage.Min(), mean.Min(), mean.Max());
    }

    private static float[] Uniform(int width, int height)
    {
        var pixels = new float[4 * width * height];
        Array.Fill(pixels, 255f, 0, width * height);
        Array.Fill(pixels, 100f, width * height, 3 * width * height);
        return pixels;
    }
}
