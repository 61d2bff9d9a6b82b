using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class CacheCommandTests(CliData data)
{
    [Fact]
    public async Task CacheInfo_Json_CountsTheTrainingRunsVectors()
    {
        var run = await CliRunner.RunAsync("cache", "info", data.Cache, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        // 27 images as they are and 27 mirrored (the default --augment auto featurizes the mirror to measure it), each view
        // under a fingerprint of its own, both the default backbone's 768 features (ResNet18-MS).
        Assert.Equal(54, root.GetProperty("vectors").GetInt64());
        var fingerprints = root.GetProperty("fingerprints").EnumerateArray().ToList();
        Assert.Equal(2, fingerprints.Count);
        Assert.All(fingerprints, f => Assert.Equal(768, f.GetProperty("dimension").GetInt32()));
        Assert.True(root.GetProperty("bytesOnDisk").GetInt64() > 54 * 768 * 4 / 2);
    }

    [Fact]
    public async Task CacheInfo_Plain_PrintsSummaryAndTable()
    {
        var run = await CliRunner.RunAsync("cache", "info", data.Cache);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("54 vectors", run.Out, StringComparison.Ordinal);
        Assert.Contains("fingerprint", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CachePrune_KeepTrainFolder_RemovesTheTestImagesVectors()
    {
        string copy = Path.Combine(data.NewFolder("prune"), "cache");
        CliData.CopyTree(data.Cache, copy);

        var run = await CliRunner.RunAsync("cache", "prune", copy, "--keep", data.Train, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(18, json.RootElement.GetProperty("imagesKept").GetInt32());
        Assert.Equal(18, json.RootElement.GetProperty("vectorsRemoved").GetInt64()); // 9 test images, plain and mirrored
        Assert.Equal(36, json.RootElement.GetProperty("vectorsKept").GetInt64());
        var info = await CliRunner.RunAsync("cache", "info", copy, "--json");
        using var after = JsonDocument.Parse(info.Out);
        Assert.Equal(36, after.RootElement.GetProperty("vectors").GetInt64());
    }

    [Fact]
    public async Task CachePrune_DefaultCacheFolder_KeepsItsImageFolder()
    {
        string images = data.NewFolder("default-prune");
        CliData.CopyTree(data.Train, images);
        CliData.CopyTree(data.Cache, Path.Combine(images, ".bottlenecks"));

        var run = await CliRunner.RunAsync("cache", "prune", Path.Combine(images, ".bottlenecks"), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(36, json.RootElement.GetProperty("vectorsKept").GetInt64());
    }

    [Fact]
    public async Task CachePrune_NoKeepAndNotNamedBottlenecks_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("cache", "prune", data.Cache);

        TrainCommandTests.AssertError(run, ExitCode.Usage, "--keep");
    }

    [Fact]
    public async Task CacheClear_DeletesEveryVector()
    {
        string copy = Path.Combine(data.NewFolder("clear"), "cache");
        CliData.CopyTree(data.Cache, copy);

        var run = await CliRunner.RunAsync("cache", "clear", copy);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Cleared", run.Out, StringComparison.Ordinal);
        var info = await CliRunner.RunAsync("cache", "info", copy, "--json");
        using var after = JsonDocument.Parse(info.Out);
        Assert.Equal(0, after.RootElement.GetProperty("vectors").GetInt64());
    }

    [Theory]
    [InlineData("info")]
    [InlineData("prune")]
    [InlineData("clear")]
    public async Task Cache_MissingFolder_ExitsNotFound(string verb)
    {
        string missing = Path.Combine(data.Root, "no-cache");

        var run = await CliRunner.RunAsync("cache", verb, missing);

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("clear")]
    public async Task Cache_FolderThatIsNotACache_ExitsBadCache(string verb)
    {
        // The image folder itself: clear must refuse rather than touch it.
        var run = await CliRunner.RunAsync("cache", verb, data.Train);

        TrainCommandTests.AssertError(run, ExitCode.BadCache, "not a bottleneck cache");
        Assert.Equal(6, Directory.GetFiles(Path.Combine(data.Train, "Bag")).Length);
    }

    [Fact]
    public async Task Cache_NoVerb_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("cache");

        TrainCommandTests.AssertError(run, ExitCode.Usage, "transfer cache --help");
    }
}
