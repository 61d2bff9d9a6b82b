using System.Globalization;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.ReliabilityTests;

/// <summary>SIGKILL and a full disk (RLIMIT_FSIZE: writes fail with EFBIG) in a child process running the real code.</summary>
[Collection(ChildProcesses.Name)]
public sealed class FaultTests(SmallModelFixture fixture) : IClassFixture<SmallModelFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-rel-fault-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public async Task FeaturizeAsync_KilledMidway_LeavesACacheThatResumesWithTheSameFeatures()
    {
        string images = Path.Combine(_root, "images");
        TestData.CopyClasses(images, 16, "Bag", "Sneaker", "Trouser");
        string cacheDir = Path.Combine(_root, "cache");
        using (var worker = WorkerProcess.Start("featurize", images, cacheDir))
        {
            worker.WaitFor(l => l.StartsWith("progress ", StringComparison.Ordinal) && int.Parse(l[9..], CultureInfo.InvariantCulture) >= 12, Timeout);
            worker.Kill();
        }

        var set = ImageSet.FromDirectory(images);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        using var cache = BottleneckCache.Open(cacheDir);
        var inspection = cache.Inspect();
        Assert.All(inspection.Fingerprints, f => Assert.Equal(0, f.UnreadableSegments));
        Assert.True(inspection.Segments >= 2, $"The worker committed {inspection.Segments} segments before the kill; expected at least 2 (segments of 4 after 12 images).");
        var resumed = await featurizer.FeaturizeAsync(set, cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength));
        var fresh = await featurizer.FeaturizeAsync(set);
        Assert.True(resumed.CacheHits >= 8, $"Only {resumed.CacheHits} cache hits after the kill.");
        Assert.Equal(set.Count, resumed.CacheHits + resumed.Computed);
        Assert.Equal(fresh.Features.Count, resumed.Features.Count);
        for (int i = 0; i < fresh.Features.Values.Length; i++)
        {
            Assert.Equal(fresh.Features.Values[i], resumed.Features.Values[i], 1e-3f);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(150)]
    [InlineData(400)]
    [InlineData(900)]
    public void Save_KilledWhileSaving_LeavesThePreviousModelLoadable(int delayMs)
    {
        string target = Path.Combine(_root, "model.zip");
        File.Copy(fixture.ModelPath, target);
        using (var worker = WorkerProcess.Start("save-loop", fixture.ModelPath, target))
        {
            worker.WaitFor(l => l == "saved 0", Timeout);
            Thread.Sleep(delayMs); // each save takes about a second, so the kill lands at different points of the next one
            worker.Kill();
        }

        using var loaded = TransferModel.Load(target);
        using var predictor = loaded.CreatePredictor();
        string image = TestData.Images("test", "Trouser", 1)[0];
        using var expected = fixture.Model.CreatePredictor();
        var want = expected.Predict(image).Scores;
        var got = predictor.Predict(image).Scores;
        Assert.Equal(want.Count, got.Count);
        for (int i = 0; i < want.Count; i++)
        {
            Assert.Equal(want[i], got[i], 1e-5f); // a reloaded head scores in a different float order than the in-memory one
        }

        // What a kill can leave is the writer's hidden temporary file, never a damaged model.zip.
        var others = Directory.GetFiles(_root).Where(f => f != target).Select(Path.GetFileName).ToList();
        Assert.All(others, name => Assert.Matches(@"^\.model\.zip\.[0-9a-f]{32}\.tmp$", name));
    }

    [Fact]
    public void Save_FileSizeLimitReached_FailsWithIOExceptionAndKeepsThePreviousModel()
    {
        string dir = Path.Combine(_root, "models");
        Directory.CreateDirectory(dir);
        string target = Path.Combine(dir, "model.zip");
        File.Copy(fixture.ModelPath, target);
        byte[] before = File.ReadAllBytes(target);
        using var worker = WorkerProcess.Start("save-full", fixture.ModelPath, target, (1 << 20).ToString(CultureInfo.InvariantCulture));
        string last = worker.WaitForExit(Timeout);
        Assert.Equal($"failed IOException: Model \"{target}\" could not be written: Specified file length was too large for the file system. (Parameter 'value') Free disk space or raise the file-size limit (ulimit -f); the existing file is unchanged.", last);
        Assert.Equal(before, File.ReadAllBytes(target));
        Assert.Equal([target], Directory.GetFiles(dir));
    }

    [Fact]
    public async Task FeaturizeAsync_FileSizeLimitReachedInCache_FailsWithIOExceptionAndLeavesNoPartialFile()
    {
        string images = Path.Combine(_root, "images");
        TestData.CopyClasses(images, 4, "Bag", "Trouser");
        string cacheDir = Path.Combine(_root, "cache");

        // A segment of 4 vectors × 512 floats is about 8 KiB: over a 4 KiB limit.
        using (var worker = WorkerProcess.Start("featurize-full", images, cacheDir, "4096"))
        {
            string last = worker.WaitForExit(Timeout);
            Assert.StartsWith($"failed IOException: Bottleneck segment \"{cacheDir}", last, StringComparison.Ordinal);
            Assert.EndsWith("Free disk space or raise the file-size limit (ulimit -f).", last, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(cacheDir, "*.partial", SearchOption.AllDirectories));
        using var cache = BottleneckCache.Open(cacheDir);
        Assert.Equal(0, cache.Inspect().Segments);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var result = await featurizer.FeaturizeAsync(ImageSet.FromDirectory(images), cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength));
        Assert.Equal(8, result.Computed);
    }

    [SkippableFact]
    public async Task SaveAndCache_FullTmpfs_FailWithIOExceptionAndLeaveNothingHalfWritten()
    {
        string mount = Path.Combine(_root, "small-disk");
        Directory.CreateDirectory(mount);
        string? refused = Mount(mount, "64k");
        Skip.If(refused is not null && Environment.GetEnvironmentVariable("TRANSFER_REQUIRE_TMPFS") != "1", $"A real full disk needs a tmpfs mount, which this user may not make ({refused}); the RLIMIT_FSIZE tests cover the same paths.");
        Assert.Null(refused);
        try
        {
            string target = Path.Combine(mount, "model.zip");
            File.WriteAllText(target, "previous");
            var e = Assert.Throws<IOException>(() => fixture.Model.Save(target));
            Assert.Contains("No space left on device", e.Message, StringComparison.Ordinal);
            Assert.Equal("previous", File.ReadAllText(target));
            Assert.Equal([target], Directory.GetFiles(mount));

            string images = Path.Combine(_root, "images");
            TestData.CopyClasses(images, 24, "Bag", "Trouser");
            string cacheDir = Path.Combine(mount, "cache");
            using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
            var cache = BottleneckCache.Open(cacheDir, new BottleneckCacheOptions { SegmentSize = 4 });
            var ex = await Assert.ThrowsAsync<IOException>(() => featurizer.FeaturizeAsync(ImageSet.FromDirectory(images), cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength)));
            Assert.Contains("No space left on device", ex.Message, StringComparison.Ordinal);
            cache.Dispose(); // the last write failed and was reported: what is still buffered is dropped with a warning, not thrown again

            Assert.Empty(Directory.GetFiles(cacheDir, "*.partial", SearchOption.AllDirectories));
            using var reopened = BottleneckCache.Open(cacheDir);
            Assert.All(reopened.Inspect().Fingerprints, f => Assert.Equal(0, f.UnreadableSegments));
        }
        finally
        {
            Run("umount", mount);
        }
    }

    private static string? Mount(string dir, string size)
    {
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", dir);
        return code == 0 ? null : $"mount exited {code}: {output.Trim()}";
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in args)
            {
                info.ArgumentList.Add(a);
            }

            using var process = System.Diagnostics.Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}

/// <summary>Child-process tests run one at a time: each loads ResNet18 in a second process on a shared machine.</summary>
[CollectionDefinition(Name)]
public sealed class ChildProcesses
{
    public const string Name = "child processes";
}
