using System.Numerics.Tensors;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Core.Tests.Backbones;
using Transfer.Featurization;
using Transfer.Testing;

namespace Transfer.Core.Tests.Backbones.Quantization;

/// <summary>Int8 quantization of a backbone with a pooled intermediate output, L2 blocks and another input size, on a tiny CNN.</summary>
public sealed class MultiStageQuantizationTests
{
    [Fact]
    public async Task QuantizeAsync_PooledL2AtLargerSize_Int8BlocksUnitNormReadDequantizedAndCloseToFp32()
    {
        var descriptor = MultiStageFeatureTests.Descriptor() with { PooledOutputs = ["r1"], FeatureNormalization = FeatureNormalization.L2, FeatureLength = 8, PixelScale = 1f / 64 };
        var fp32 = Backbone.FromBytes(MultiStageFeatureTests.Model(), descriptor).WithInputSize(32, 32);
        var images = SyntheticImages.InMemory();
        var int8 = await fp32.QuantizeAsync(images, new QuantizationOptions { CalibrationImageCount = 16, HeldOutImageCount = 8, GuardAction = AccuracyGuardAction.Warn });

        Assert.Equal("TinyCnn@32-int8", int8.Name);
        Assert.Equal((32, 32, 8), (int8.Width, int8.Height, int8.FeatureLength));
        Assert.NotEqual(fp32.Fingerprint, int8.Fingerprint);

        // conv1 absorbed relu1: "r1" is the raw Conv output now, and only its QDQ pair clamps at 0, so the pool must read that.
        var graph = Onnx.ModelProto.Parser.ParseFrom(int8.BuildFeaturizerModel());
        Assert.Equal("r1_dequantized", graph.Graph.Node.Single(n => n.Output.Contains("transfer_block1_pooled")).Input[0]);
        Assert.Equal("GlobalAveragePool", graph.Graph.Node.Single(n => n.Name == "gap").OpType);

        FeatureMatrix a, b;
        using (var f = new Featurizer(fp32))
        {
            a = (await f.FeaturizeAsync(images)).Features;
        }

        using (var f = new Featurizer(int8))
        {
            b = (await f.FeaturizeAsync(images)).Features;
        }

        for (int i = 0; i < b.Count; i++)
        {
            Assert.Equal(1f, FeatureGraphRunner.Norm(b.Row(i)[..4]), 1e-4f);
            Assert.Equal(1f, FeatureGraphRunner.Norm(b.Row(i)[4..]), 1e-4f);
            Assert.All(b.Row(i)[4..].ToArray(), v => Assert.True(v >= 0, $"image {i}: pooled Relu output {v} < 0"));
            float cosine = TensorPrimitives.CosineSimilarity(a.Row(i)[4..], b.Row(i)[4..]);
            Assert.True(cosine > 0.98f, $"image {i}: pooled block cosine int8 vs fp32 {cosine}");
        }

        Assert.True(int8.Quantization!.MeanCosine > 0.95, $"mean cosine {int8.Quantization.MeanCosine}");
    }

    [Fact]
    public void WithInputSize_Int8Backbone_RefusedSayingToResizeFirst()
    {
        var images = SyntheticImages.InMemory();
        var int8 = Backbone.FromBytes(MultiStageFeatureTests.Model(), MultiStageFeatureTests.Descriptor()).Quantize(images, new QuantizationOptions { CalibrationImageCount = 8, HeldOutImageCount = 0 });
        var e = Assert.Throws<InvalidOperationException>(() => int8.WithInputSize(64, 64));
        Assert.Equal("Backbone \"TinyCnn-int8\" is int8, calibrated at 8×8; call WithInputSize(64, 64) on the floating-point backbone, then quantize the result.", e.Message);
    }
}
