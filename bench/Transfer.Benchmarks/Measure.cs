using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Transfer.Benchmarks;

/// <summary>One timed repetition: wall time and the process's CPU time (which shows contention on a shared machine).</summary>
internal readonly record struct Sample(double Seconds, double CpuSeconds, int Items)
{
    public double PerSecond => Items / Seconds;

    public static async Task<Sample> TimeAsync(int items, Func<Task> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await work().ConfigureAwait(false);
        clock.Stop();
        process.Refresh();
        return new Sample(clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds, items);
    }

    public static Sample Time(int items, Action work) => TimeAsync(items, () =>
    {
        work();
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();
}

/// <summary>Throughput over repetitions: the median and every repetition, for the JSON.</summary>
internal sealed class Throughput(IReadOnlyList<Sample> samples)
{
    public IReadOnlyList<Sample> Samples { get; } = samples;

    public double MedianPerSecond => Stats.Median(Samples.Select(s => s.PerSecond).ToList());

    public JsonObject ToJson() => new()
    {
        ["images_per_s"] = Stats.Round(MedianPerSecond),
        ["images_per_cpu_s"] = Stats.Round(Stats.Median(Samples.Select(s => s.Items / s.CpuSeconds).ToList())),
        ["images"] = Samples[0].Items,
        ["repetitions"] = Samples.Count,
        ["runs_images_per_s"] = new JsonArray([.. Samples.Select(s => (JsonNode?)Stats.Round(s.PerSecond))]),
        ["runs_seconds"] = new JsonArray([.. Samples.Select(s => (JsonNode?)Stats.Round(s.Seconds, 3))]),
        ["runs_cpu_seconds"] = new JsonArray([.. Samples.Select(s => (JsonNode?)Stats.Round(s.CpuSeconds, 3))]),
    };
}
