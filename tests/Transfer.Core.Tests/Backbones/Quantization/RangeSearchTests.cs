using Transfer.Backbones.Quantization;

namespace Transfer.Core.Tests.Backbones.Quantization;

/// <summary>The MSE-optimal activation range and the per-channel weight-scale search.</summary>
public sealed class RangeSearchTests
{
    [Fact]
    public void MinimumSquaredError_HalfLaplace_ClipsWhereTheoryPutsTheOptimum()
    {
        // x ~ Exp(1) (a post-Relu-like tail), 256 levels over [0, a]: E(a) = (a/255)²/12 · P(x < a) + 2·e^(−a), least at a = 11.16.
        var random = new Random(3);
        var values = new float[2_000_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)-Math.Log(1 - random.NextDouble());
        }

        float max = values.Max();
        var histogram = new long[8192];
        foreach (float v in values)
        {
            histogram[Math.Min(histogram.Length - 1, (int)(v / max * histogram.Length))]++;
        }

        var (low, high) = RangeEstimator.MinimumSquaredError(histogram, 0, max);
        Assert.Equal(0f, low);
        Assert.InRange(high, 10.2f, 12.2f);
        Assert.True(max > 13f, $"max {max}: the sample should reach past the optimum");

        // The chosen range beats both the full range and the old default (99.99th percentile) on the same histogram.
        double width = max / (double)histogram.Length;
        double chosen = RangeEstimator.SquaredError(histogram, 0, width, low, high);
        var (_, p9999) = RangeEstimator.Percentile(histogram, 0, max, 0.01, 99.99);
        Assert.True(chosen < RangeEstimator.SquaredError(histogram, 0, width, 0, max), "MSE range vs min/max");
        Assert.True(chosen < RangeEstimator.SquaredError(histogram, 0, width, 0, p9999), $"MSE range vs the 99.99th percentile {p9999}");
    }

    [Fact]
    public void MinimumSquaredError_SignedUniform_KeepsTheWholeRange()
    {
        // Nothing to clip: every value is as likely as any other, so clipping only adds error.
        var histogram = Enumerable.Repeat(1000L, 4096).ToArray();
        var (low, high) = RangeEstimator.MinimumSquaredError(histogram, -2f, 6f);
        Assert.InRange(low, -2f, -1.98f);
        Assert.InRange(high, 5.94f, 6f);
    }

    [Fact]
    public void WeightScale_LaplaceWeights_SearchClipsTheTailAndLowersTheError()
    {
        // 3×3×512 weights of one output channel, heavy-tailed like trained conv weights.
        var random = new Random(5);
        var w = new float[4608];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)((random.Next(2) * 2 - 1) * -Math.Log(1 - random.NextDouble()) * 0.01);
        }

        float absMax = w.Max(Math.Abs);
        float plain = QdqGraphWriter.WeightScale(w, 63, search: false);
        float searched = QdqGraphWriter.WeightScale(w, 63, search: true);
        Assert.Equal(absMax / 63, plain, 1e-9f);
        Assert.InRange(searched, 0.5f * plain, 0.99f * plain);
        Assert.True(Error(w, searched) < 0.95 * Error(w, plain), $"error {Error(w, searched)} vs {Error(w, plain)}");
    }

    [Fact]
    public void WeightScale_UniformWeightsOrZeros_KeepsTheFullRange()
    {
        var w = Enumerable.Range(-63, 127).Select(i => i * 0.001f).ToArray(); // exactly on the 7-bit grid: no error to trade
        Assert.Equal(0.001f, QdqGraphWriter.WeightScale(w, 63, search: true), 1e-9f);
        Assert.Equal(1f, QdqGraphWriter.WeightScale(new float[9], 63, search: true));
    }

    private static double Error(float[] w, float scale) =>
        w.Sum(v => Math.Pow(v - (Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven), -63, 63) * scale), 2));
}
