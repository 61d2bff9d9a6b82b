using Transfer.Evaluation;
using Transfer.Heads;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Pipelines.Tests;

// What a run stores for "unknown" and for classes added later; the real pipeline on the tiny backbone.
public sealed class UnknownThresholdTests
{
    [Fact]
    public async Task RunAsync_CrossValidated_StoresTheThresholdMeansAndTheReportCurve()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 8 });
        string report = Path.Combine(folder.Directory, "out", "report.html");
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache()
            .UnknownFalseRejectionRate(0.25).WriteReport(report).Build().RunAsync();

        var m = result.Model.Manifest;
        var u = m.Unknown!;
        Assert.Equal((0.25, 24, AccuracyEstimate.CrossValidated), (u.FalseRejectionRate, u.HeldOutImages, u.Source));
        Assert.InRange(u.MeasuredFalseRejectionRate, 0, 0.25);
        var evaluation = result.Evaluation!;
        int below = Enumerable.Range(0, evaluation.Count).Count(i => Enumerable.Range(0, 3).Max(k => evaluation.Probabilities[(i * 3) + k]) < u.Threshold);
        Assert.Equal(u.MeasuredFalseRejectionRate, below / 24.0, 6); // chosen on the out-of-fold probabilities
        Assert.Equal(TinyBackbone.Default.FeatureLength, m.FeatureMean!.Count);
        Assert.Equal(3, m.ClassMeans!.Count);
        Assert.NotNull(m.HeldOutOwnClassProbability);
        string html = File.ReadAllText(report);
        Assert.Contains("<section id=\"unknown\">", html, StringComparison.Ordinal);
        Assert.Contains("id=\"unknown-table\"", html, StringComparison.Ordinal);

        string path = Path.Combine(folder.Directory, "out", "model.zip");
        result.Model.Save(path);
        using var loaded = TransferModel.Load(path);
        Assert.Equal(u, loaded.Manifest.Unknown! with { Curve = u.Curve });
        Assert.Equal(u.Curve, loaded.Manifest.Unknown!.Curve);
    }

    [Fact]
    public void UnknownFalseRejectionRate_OutsideZeroToOne_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TransferPipeline.For(SyntheticImages.InMemory()).UnknownFalseRejectionRate(1.5));

        Assert.Equal("rate", e.ParamName);
    }

    [Fact]
    public async Task RunAsync_NoEstimateAndAPinnedHead_StoresNoThreshold()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 4 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache()
            .TrainHead(new PrototypeHeadTrainer()).TestFraction(0).Build().RunAsync();

        Assert.Null(result.Model.Manifest.Unknown);
        Assert.NotNull(result.Model.Manifest.FeatureMean);
    }
}
