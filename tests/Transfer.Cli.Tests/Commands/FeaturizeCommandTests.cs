using System.Diagnostics;
using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

/// <summary>
/// <c>transfer featurize --shard i/N</c> as a scheduler runs it: separate processes on one folder and one cache, one killed
/// with SIGKILL mid-way and rerun; then <c>cache info</c>, <c>train</c> (which must featurize nothing) and <c>cache merge</c>.
/// </summary>
[Collection(CliTestGroup.Name)]
public sealed class FeaturizeCommandTests(CliData data)
{
    private const int PerClass = 30;

    [Fact]
    public async Task FeaturizeShards_OneKilledAndRerun_EachImageOnceUndamaged_TrainFeaturizesNothing_MergeIdempotent()
    {
        string root = data.NewFolder("shards");
        string images = Path.Combine(root, "images");
        string cache = Path.Combine(root, "cache");
        int distinct = CopyImages(images);
        string[] common = ["--cache", cache, "--augment", "none", "--segment-size", "2", "--json"];

        // Shard 0 alone, killed once its first segment is committed.
        using (var victim = StartCli(["featurize", images, "--shard", "0/3", .. common]))
        {
            var clock = Stopwatch.StartNew();
            while (CommittedSegments(cache) == 0 && !victim.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                await Task.Delay(5);
            }

            Assert.False(victim.HasExited, $"Shard 0 ended (exit {(victim.HasExited ? victim.ExitCode : 0)}) before a segment was seen; it must be killed mid-way.");
            victim.Kill(); // SIGKILL
            await victim.WaitForExitAsync();
        }

        int survived = CommittedSegments(cache);
        Assert.InRange(survived, 1, (PerClass * 3 / 2) - 1);

        // The three shards together, shard 0 rerun.
        var shards = Enumerable.Range(0, 3).Select(i => StartCli(["featurize", images, "--shard", $"{i}/3", .. common])).ToList();
        var results = new List<JsonElement>();
        foreach (var process in shards)
        {
            using (process)
            {
                string stdout = await process.StandardOutput.ReadToEndAsync();
                string stderr = await process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}\n{stderr}");
                results.Add(JsonDocument.Parse(stdout).RootElement.Clone());
            }
        }

        Assert.Equal(distinct + 2, results.Sum(r => r.GetProperty("assigned").GetInt32())); // every file in exactly one shard (2 duplicates)
        Assert.True(results[0].GetProperty("cacheHits").GetInt32() >= 2, $"The rerun of shard 0 resumed from the killed run's segments: {results[0]}");

        var info = await CliRunner.RunAsync("cache", "info", cache, "--json");
        Assert.True(info.ExitCode == 0, info.ToString());
        using (var json = JsonDocument.Parse(info.Out))
        {
            var store = Assert.Single(json.RootElement.GetProperty("fingerprints").EnumerateArray().ToList());
            Assert.Equal(distinct, store.GetProperty("vectors").GetInt64()); // exactly one vector per distinct image
            Assert.Equal(0, store.GetProperty("unreadableSegments").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("quarantinedSegments").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("temporaryFiles").GetInt32()); // the killed writer's partial file is gone
        }

        var train = await CliRunner.RunAsync("train", images, "--out", Path.Combine(root, "model.zip"), "--cache", cache, "--head", "lbfgs", "--test-fraction", "0", "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        using (var json = JsonDocument.Parse(train.Out))
        {
            Assert.Equal(0, json.RootElement.GetProperty("computed").GetInt32());
            Assert.Equal(distinct + 2, json.RootElement.GetProperty("cacheHits").GetInt32());
        }

        string merged = Path.Combine(root, "merged");
        var first = await CliRunner.RunAsync("cache", "merge", cache, merged, "--json");
        var second = await CliRunner.RunAsync("cache", "merge", cache, merged, "--json");
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first + "\n" + second);
        Assert.Equal(distinct, JsonDocument.Parse(first.Out).RootElement.GetProperty("vectorsAdded").GetInt64());
        Assert.Equal(0, JsonDocument.Parse(second.Out).RootElement.GetProperty("vectorsAdded").GetInt64());
        Assert.Equal(distinct, JsonDocument.Parse(second.Out).RootElement.GetProperty("vectorsPresent").GetInt64());
    }

    [Theory]
    [InlineData("3/3")]
    [InlineData("1")]
    public async Task Featurize_BadShard_ExitsUsageNamingTheValue(string shard)
    {
        var run = await CliRunner.RunAsync("featurize", data.Train, "--shard", shard);

        TrainCommandTests.AssertError(run, ExitCode.Usage, $"--shard: A shard is i/N with 0 <= i < N (numbered from 0, e.g. 0/4 to 3/4), was \"{shard}\".");
    }

    [Fact]
    public async Task CacheMerge_SourceNotACache_ExitsBadCache()
    {
        string plain = data.NewFolder("not-a-cache");

        var run = await CliRunner.RunAsync("cache", "merge", plain, Path.Combine(data.Root, "merged-x"));

        TrainCommandTests.AssertError(run, ExitCode.BadCache, "is not a bottleneck cache");
    }

    /// <summary>Copies 3 classes × 30 QuickStart images and 2 duplicates (same bytes, other names); returns the distinct count.</summary>
    private static int CopyImages(string to)
    {
        string data = RepositoryFiles.Combine("samples", "QuickStart", "data", "train");
        foreach (string c in CliData.Classes)
        {
            Directory.CreateDirectory(Path.Combine(to, c));
            foreach (string file in Directory.EnumerateFiles(Path.Combine(data, c), "*.png").Order(StringComparer.Ordinal).Take(PerClass))
            {
                File.Copy(file, Path.Combine(to, c, Path.GetFileName(file)));
            }
        }

        foreach (string c in CliData.Classes.Take(2))
        {
            string first = Directory.EnumerateFiles(Path.Combine(to, c)).Order(StringComparer.Ordinal).First();
            File.Copy(first, Path.Combine(to, c, "copy-" + Path.GetFileName(first)));
        }

        return PerClass * CliData.Classes.Length;
    }

    private static int CommittedSegments(string cache) =>
        Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*.parquet", SearchOption.AllDirectories).Count(f => !f.Contains("quarantine", StringComparison.Ordinal)) : 0;

    private static Process StartCli(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "transfer.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
