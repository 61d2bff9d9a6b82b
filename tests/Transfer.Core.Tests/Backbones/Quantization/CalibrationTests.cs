using Transfer.Backbones.Quantization;
using Transfer.Validation;

namespace Transfer.Core.Tests.Backbones.Quantization;

public sealed class CalibrationTests
{
    [Fact]
    public void FromRange_PositiveRange_ZeroPointZeroAndZeroExact()
    {
        var p = QuantizationParameters.FromRange(0.5f, 2.55f);
        Assert.Equal(0, p.ZeroPoint);
        Assert.Equal(0.01f, p.Scale, 1e-6f);
    }

    [Fact]
    public void FromRange_SymmetricRange_ZeroPointInTheMiddle()
    {
        var p = QuantizationParameters.FromRange(-1f, 1f);
        Assert.InRange(p.ZeroPoint, 127, 128);
        Assert.Equal(2f / 255, p.Scale, 1e-6f);
        Assert.Equal(1f, QuantizationParameters.FromRange(0, 0).Scale);
    }

    [Fact]
    public void Percentile_UniformHistogram_CutsTheTails()
    {
        var histogram = Enumerable.Repeat(100L, 1000).ToArray(); // values uniform over [0, 10)
        var (low, high) = RangeEstimator.Percentile(histogram, 0, 10, 1, 99);
        Assert.Equal(0.1f, low, 0.02f);
        Assert.Equal(9.9f, high, 0.02f);
        var (all, max) = RangeEstimator.Percentile(histogram, 0, 10, 0, 100);
        Assert.Equal((0f, 10f), (all, max));
    }

    [Fact]
    public void EntropyThreshold_GaussianWithFarOutliers_ClipsTheOutliers()
    {
        var random = new Random(1);
        const float AbsMax = 100f;
        var histogram = new long[2048];
        for (int i = 0; i < 200_000; i++)
        {
            double g = Math.Abs(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            histogram[Math.Min(2047, (int)(g / AbsMax * 2048))]++;
        }

        histogram[2047] += 5; // a few values at 100, far from the bulk (|x| < ~5)
        float threshold = RangeEstimator.EntropyThreshold(histogram, AbsMax, 128);
        Assert.InRange(threshold, 3f, 30f);
    }

    [Fact]
    public void EntropyThreshold_Uniform_KeepsAlmostTheWholeRange()
    {
        var histogram = Enumerable.Repeat(50L, 2048).ToArray();
        Assert.InRange(RangeEstimator.EntropyThreshold(histogram, 8f, 128), 7.5f, 8f);
    }

    [Fact]
    public void Validate_EveryBadValue_ListsThemAll()
    {
        var options = new QuantizationOptions { CalibrationImageCount = 0, LowerPercentile = 50, UpperPercentile = 40, MinMeanCosine = 2, MaxAccuracyDrop = -1, BatchSize = 0, KeepFp32 = [" "] };
        var e = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.StartsWith("Invalid QuantizationOptions / Validation Errors:", e.Message, StringComparison.Ordinal);
        Assert.Contains("CalibrationImageCount must be at least 1 (50–100 is typical), was 0.", e.Message, StringComparison.Ordinal);
        Assert.Contains("LowerPercentile and UpperPercentile must satisfy 0 <= lower < upper <= 100 (percent, e.g. 0.01 and 99.99), were 50 and 40.", e.Message, StringComparison.Ordinal);
        Assert.Contains("MinMeanCosine must be in [-1, 1] (e.g. 0.95), was 2.", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAccuracyDrop must be a fraction in [0, 1] (0.02 = 2 points), was -1.", e.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize must be in [1, 256], was 0.", e.Message, StringComparison.Ordinal);
        Assert.Contains("KeepFp32 must list node names or op types", e.Message, StringComparison.Ordinal);
        new QuantizationOptions().Validate();
    }

    [Fact]
    public void CanonicalKey_DifferentSettings_Differ()
    {
        var keys = new[]
        {
            new QuantizationOptions().CanonicalKey(),
            new QuantizationOptions { Method = CalibrationMethod.Entropy }.CanonicalKey(),
            new QuantizationOptions { Method = CalibrationMethod.Percentile }.CanonicalKey(),
            new QuantizationOptions { Method = CalibrationMethod.Percentile, UpperPercentile = 99.9 }.CanonicalKey(),
            new QuantizationOptions { SearchWeightScales = false }.CanonicalKey(),
            new QuantizationOptions { ReduceWeightRange = false }.CanonicalKey(),
            new QuantizationOptions { KeepFp32 = ["Add"] }.CanonicalKey(),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal("int8-qdq;act=u8-asym-per-tensor;w=s8-sym-per-channel-7bit-mse;method=MinimumSquaredError;calibration=64;seed=42;keep=[]", keys[0]);
        Assert.Equal("int8-qdq;act=u8-asym-per-tensor;w=s8-sym-per-channel-7bit-mse;method=Percentile(0.01,99.99);calibration=64;seed=42;keep=[]", keys[2]);
    }
}
