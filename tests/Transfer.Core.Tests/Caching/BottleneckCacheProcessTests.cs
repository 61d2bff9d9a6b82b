using System.Diagnostics;
using Transfer.Caching;
using Xunit.Abstractions;

namespace Transfer.Core.Tests.Caching;

/// <summary>Crash safety and concurrency with real child processes (Transfer.CacheWorker).</summary>
public sealed class BottleneckCacheProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Images = 3000;
    private const int Dimension = 64;
    private const int SegmentSize = 64;
    private const string Fingerprint = "synthetic-backbone|size=8";

    private readonly CacheTestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_WorkerKilledAtRandomPoints_KeepsCommittedSegmentsAndFinishes()
    {
        string cachePath = _dir.Combine("cache");
        var random = new Random(20240613);
        int previous = 0;
        for (int round = 0; round < 5; round++)
        {
            // Kill at a random point of the work (94 batches of 32; a segment of 64 is committed every 2 batches):
            // after a random number of batches, then a random few milliseconds more, so some rounds die while a
            // segment is being written and renamed. Counting batches, not milliseconds, keeps this independent of
            // how fast the machine is.
            int batches = random.Next(3, 80);
            int delay = random.Next(0, 30);
            using (Process worker = CacheWorkerProcess.Start(cachePath, Fingerprint, Dimension, Images, SegmentSize, pauseMs: 20))
            {
                Assert.Equal("ready", worker.StandardOutput.ReadLine());
                int seen = 0;
                while (seen < batches && worker.StandardOutput.ReadLine() is { } line)
                {
                    if (line.StartsWith("batch ", StringComparison.Ordinal))
                    {
                        seen++;
                    }
                }

                Thread.Sleep(delay);
                worker.Kill(entireProcessTree: true);
                worker.WaitForExit();
            }

            using BottleneckCache cache = BottleneckCache.Open(cachePath);
            BottleneckStore store = cache.GetStore(Fingerprint, Dimension);
            int stored = VerifyStored(store);

            // Every segment committed before a kill survives it; only whole segments are stored.
            Assert.True(stored >= previous, $"Round {round}: {stored} vectors stored, fewer than the {previous} before.");
            Assert.Equal(0, cache.Statistics.CorruptSegments);
            Assert.Equal(0, cache.Inspect().TemporaryFiles);
            output.WriteLine($"Round {round}: killed {delay} ms after batch {batches}, {stored} vectors stored in {cache.Inspect().Segments} segments.");
            previous = stored;
        }

        Assert.True(previous > 0 && previous < Images, $"The kills should land mid-work, but {previous} of {Images} vectors were stored after them.");
        string final = CacheWorkerProcess.RunToEnd(
            CacheWorkerProcess.Start(cachePath, Fingerprint, Dimension, Images, SegmentSize, pauseMs: 0), TimeSpan.FromSeconds(60));
        output.WriteLine("Final run: " + final);
        Assert.Contains($"hits={previous} misses={Images - previous} ", final, StringComparison.Ordinal);
        using (BottleneckCache cache = BottleneckCache.Open(cachePath))
        {
            Assert.Equal(Images, VerifyStored(cache.GetStore(Fingerprint, Dimension)));
        }
    }

    [Fact]
    public void Add_TwoProcessesFillOneCache_EqualsOneProcessRun()
    {
        const int count = 1500;
        string shared = _dir.Combine("shared");
        string single = _dir.Combine("single");
        using Process ascending = CacheWorkerProcess.Start(shared, Fingerprint, Dimension, count, SegmentSize, pauseMs: 1);
        using Process descending = CacheWorkerProcess.Start(shared, Fingerprint, Dimension, count, SegmentSize, pauseMs: 1, descending: true);
        CacheWorkerProcess.RunToEnd(ascending, TimeSpan.FromSeconds(60));
        CacheWorkerProcess.RunToEnd(descending, TimeSpan.FromSeconds(60));
        using (Process alone = CacheWorkerProcess.Start(single, Fingerprint, Dimension, count, SegmentSize, pauseMs: 0))
        {
            CacheWorkerProcess.RunToEnd(alone, TimeSpan.FromSeconds(60));
        }

        using BottleneckCache sharedCache = BottleneckCache.Open(shared);
        using BottleneckCache singleCache = BottleneckCache.Open(single);
        BottleneckStore a = sharedCache.GetStore(Fingerprint, Dimension);
        BottleneckStore b = singleCache.GetStore(Fingerprint, Dimension);
        Assert.Equal(count, a.Count);
        Assert.Equal(count, b.Count);
        Assert.Equal(0, sharedCache.Statistics.CorruptSegments);
        Assert.Equal(0, sharedCache.Inspect().TemporaryFiles);

        var keys = Enumerable.Range(0, count).Select(Transfer.CacheWorker.SyntheticFeatures.Key).ToArray();
        var fromShared = new float[count * Dimension];
        var fromSingle = new float[count * Dimension];
        Assert.Equal(count, a.Lookup(keys, fromShared).Hits);
        Assert.Equal(count, b.Lookup(keys, fromSingle).Hits);
        Assert.Equal(fromSingle, fromShared);
        Assert.Equal(count, VerifyStored(a, count));
    }

    private static int VerifyStored(BottleneckStore store, int count = Images)
    {
        int stored = TestFeaturizer.VerifyStored(store, count);
        return stored;
    }
}
