using System.Diagnostics;
using Transfer.Featurization;
using Transfer.Heads.Neural;
using Xunit.Abstractions;

namespace Transfer.Core.Tests.Heads.Neural;

/// <summary>Runs only when TRANSFER_BENCHMARK=1; build Release: <c>TRANSFER_BENCHMARK=1 dotnet test -c Release --filter FullyQualifiedName~NeuralHeadBenchmark</c>.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TRANSFER_BENCHMARK") != "1")
        {
            Skip = "Benchmark: set TRANSFER_BENCHMARK=1 and build Release to run it.";
        }
    }
}

public class NeuralHeadBenchmarkTests(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void SoftmaxHead_60000x512_10Epochs_Within15Seconds() => Measure(new SoftmaxHead(Options()), "SoftmaxHead");

    [BenchmarkFact]
    public void MlpHead_60000x512_10Epochs_Within15Seconds() => Measure(new MlpHead(Options()), "MlpHead [256]");

    [BenchmarkFact]
    public void MlpHead128_60000x512_10Epochs_Within15Seconds()
    {
        NeuralHeadOptions options = Options();
        options.HiddenLayers = [128];
        Measure(new MlpHead(options), "MlpHead [128]");
    }

    private static NeuralHeadOptions Options() => new()
    {
        Epochs = 10,
        EarlyStopping = null,
        ValidationFraction = 0,
        AllowNoValidation = true,
        MaxDegreeOfParallelism = int.TryParse(Environment.GetEnvironmentVariable("TRANSFER_BENCHMARK_THREADS"), out int threads) ? threads : null,
    };

    private void Measure(NeuralHead head, string name)
    {
        FeatureMatrix train = SyntheticFeatures.Blobs(60_000, 512, 10, seed: 1, spread: 12);
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        TrainedNeuralHead trained = head.Train(train);
        clock.Stop();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        foreach (EpochMetrics e in trained.History.Epochs)
        {
            output.WriteLine(e.ToString());
        }

        output.WriteLine($"{name}: 60,000 × 512, 10 epochs, batch {head.Options.BatchSize}, {head.Options.MaxDegreeOfParallelism ?? Environment.ProcessorCount} threads: {clock.Elapsed.TotalSeconds:F2} s wall, {cpu.TotalSeconds:F2} s CPU; last epoch {trained.History.Epochs[^1]}");
        Assert.True(clock.Elapsed.TotalSeconds <= 15, $"{name} took {clock.Elapsed.TotalSeconds:F2} s");
    }
}
