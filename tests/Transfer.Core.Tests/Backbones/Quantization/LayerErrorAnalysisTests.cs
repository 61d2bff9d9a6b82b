using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Testing;

namespace Transfer.Core.Tests.Backbones.Quantization;

/// <summary>The per-layer error of a QDQ graph against fp32, on a tiny CNN.</summary>
public sealed class LayerErrorAnalysisTests
{
    [Fact]
    public void Measure_TinyCnn_OneRowPerQuantizedTensorThenFeaturesSmallButNonZeroErrors()
    {
        var fp32 = Backbone.FromBytes(MultiStageFeatureTests.Model(), MultiStageFeatureTests.Descriptor());
        var images = SyntheticImages.InMemory();
        var options = new QuantizationOptions { CalibrationImageCount = 8, HeldOutImageCount = 0 };
        var (calibration, _) = BackboneQuantizer.Sample(images, options);
        var build = BackboneQuantizer.Build(fp32, BackboneQuantizer.DecodePixels(fp32, calibration, options, null, default), calibration.Count, options, null, default);
        var probe = BackboneQuantizer.DecodePixels(fp32, images, options, null, default);

        var rows = LayerErrorAnalysis.Measure(fp32, build, probe, images.Count, options);

        Assert.Equal([.. build.Plan.Tensors, LayerErrorAnalysis.FeaturesRow], rows.Select(r => r.Tensor));
        Assert.Equal("Input", rows[0].OpType);
        Assert.Equal(["Input", "Conv", "MaxPool", "Conv", "Add", "Features"], rows.Select(r => r.OpType));
        Assert.Equal((1.0, 0.0), (rows[0].Cosine, rows[0].RelativeError)); // 0–255 pixels, scale 1, mean 0: the input's uint8 grid is exact
        Assert.All(rows.Skip(1), r =>
        {
            Assert.InRange(r.Cosine, 0.97, 1.0000001);
            Assert.InRange(r.RelativeError, 1e-5, 0.25);
            Assert.Equal(-20 * Math.Log10(r.RelativeError), r.SqnrDb, 6);
        });
    }

    [Fact]
    public void Compare_KnownNoise_CosineRelativeErrorAndSqnr()
    {
        float[] a = [3, 4, 0, 0, 1, 0];
        float[] b = [3, 4, 0, 0, 1, 0];
        Assert.Equal((1.0, 0.0, double.PositiveInfinity), LayerErrorAnalysis.Compare(a, b, 2));

        b = [3, 4, 0.5f, 0, 1, 0]; // noise 0.25 on a signal of 26
        var (cosine, relative, sqnr) = LayerErrorAnalysis.Compare(a, b, 2);
        Assert.Equal(((5 / Math.Sqrt(25.25)) + 1) / 2, cosine, 9);
        Assert.Equal(Math.Sqrt(0.25 / 26), relative, 9);
        Assert.Equal(10 * Math.Log10(26 / 0.25), sqnr, 9);
    }
}
