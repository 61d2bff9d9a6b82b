using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// Peak working set while featurizing N images, each count in a child process of this program
/// (<c>Transfer.Benchmarks memory &lt;list.tsv&gt;</c>) so that one measurement's peak cannot include another's.
/// </summary>
internal static class MemoryBench
{
    public const string Command = "memory";
    private const string ResultPrefix = "MEMORY-RESULT ";

    /// <summary>Starts the child and returns its JSON result.</summary>
    public static JsonObject RunChild(string listFile, TimeSpan timeout)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The program's path is unknown.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location); // run as "dotnet Transfer.Benchmarks.dll"
        }

        start.ArgumentList.Add(Command);
        start.ArgumentList.Add(listFile);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start \"{self}\".");
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(timeout))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"The memory child for \"{listFile}\" ran past {timeout.TotalMinutes:F0} minutes and was stopped.");
        }

        string output = stdout.GetAwaiter().GetResult();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The memory child exited with code {child.ExitCode} and no result.{Environment.NewLine}{output}{stderr.GetAwaiter().GetResult()}");
        }

        return JsonNode.Parse(line[ResultPrefix.Length..])!.AsObject();
    }

    /// <summary>The child: featurizes the listed images with default options (no cache) and prints its peak working set.</summary>
    public static async Task<int> ChildAsync(string listFile)
    {
        var entries = BenchData.ReadList(listFile);
        var images = ImageSet.FromEntries(entries, BenchData.ClassNames);
        using var process = Process.GetCurrentProcess();
        long sampledPeak = Environment.WorkingSet;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                sampledPeak = Math.Max(sampledPeak, Environment.WorkingSet);
            }
        });
        long before = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        using (var featurizer = new Featurizer(Backbones.Backbones.ResNet18))
        {
            var features = await featurizer.FeaturizeAsync(images);
            if (features.Features.Count != images.Count)
            {
                throw new InvalidOperationException($"Featurized {features.Features.Count} of {images.Count} images.");
            }
        }

        clock.Stop();
        await stop.CancelAsync();
        try
        {
            await sampler;
        }
        catch (OperationCanceledException)
        {
        }

        process.Refresh();
        var result = new JsonObject
        {
            ["images"] = images.Count,
            ["peak_ws_mb"] = Stats.Round(Math.Max(process.PeakWorkingSet64, sampledPeak) / 1048576.0, 1),
            ["process_peak_ws_mb"] = Stats.Round(process.PeakWorkingSet64 / 1048576.0, 1),
            ["sampled_peak_ws_mb"] = Stats.Round(sampledPeak / 1048576.0, 1),
            ["ws_before_featurizing_mb"] = Stats.Round(before / 1048576.0, 1),
            ["feature_matrix_mb"] = Stats.Round(images.Count * 512 * 4 / 1048576.0, 1),
            ["seconds"] = Stats.Round(clock.Elapsed.TotalSeconds, 2),
            ["images_per_s"] = Stats.Round(images.Count / clock.Elapsed.TotalSeconds),
        };
        Console.WriteLine(ResultPrefix + result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    public static string Describe(JsonObject r) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(double)r["peak_ws_mb"]!:F0} MB peak ({(double)r["ws_before_featurizing_mb"]!:F0} MB before; {(double)r["images_per_s"]!:F1} images/s)");
}
