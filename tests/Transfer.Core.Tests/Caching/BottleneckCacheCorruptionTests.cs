using Transfer.Caching;
using Transfer.Images;

namespace Transfer.Core.Tests.Caching;

public sealed class BottleneckCacheCorruptionTests : IDisposable
{
    private const int Images = 30;
    private const int SegmentSize = 10;

    private readonly CacheTestDirectory _dir = new();

    private string CachePath => _dir.Combine("cache");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.02)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(0.97)]
    [InlineData(1.0)]
    public void Lookup_FlippedBytesInSegment_DetectedReportedAndRecomputed(double position)
    {
        List<string> files = Fill();
        string segment = OneSegment();
        byte[] bytes = File.ReadAllBytes(segment);
        int at = Math.Min((int)(position * bytes.Length), bytes.Length - 1);
        bytes[at] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        AssertDetectedAndRecomputed(files, segment);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(0.5)]
    [InlineData(-1)]
    public void Open_TruncatedSegment_DetectedReportedAndRecomputed(double keep)
    {
        List<string> files = Fill();
        string segment = OneSegment();
        long length = new FileInfo(segment).Length;
        long newLength = keep switch
        {
            -1 => length - 1,
            < 1 => (long)(keep * length),
            _ => (long)keep,
        };
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(newLength);
        }

        AssertDetectedAndRecomputed(files, segment);
    }

    private List<string> Fill()
    {
        List<string> files = TestFeaturizer.WriteImages(_dir.Combine("dataset"), Images);
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = SegmentSize });
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
        return files;
    }

    private string OneSegment()
    {
        string[] segments = Directory.GetFiles(CachePath, "*.parquet", SearchOption.AllDirectories);
        Assert.Equal(Images / SegmentSize, segments.Length);
        Array.Sort(segments, StringComparer.Ordinal);
        return segments[1];
    }

    private void AssertDetectedAndRecomputed(List<string> files, string segment)
    {
        using (BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = SegmentSize }))
        {
            var events = new List<CorruptSegmentEventArgs>();
            cache.CorruptSegmentFound += (_, e) => events.Add(e);
            BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);

            // Every vector returned equals the clean one; the damaged segment's ten are missing, not wrong.
            Assert.Equal(Images - SegmentSize, TestFeaturizer.VerifyStored(store, Images));
            CorruptSegmentEventArgs reported = Assert.Single(events);
            Assert.Equal(segment, reported.SegmentPath);
            Assert.NotNull(reported.QuarantinePath);
            Assert.True(File.Exists(reported.QuarantinePath));
            Assert.False(File.Exists(segment));
            Assert.Equal(1, cache.Statistics.CorruptSegments);
            Assert.Equal(1, cache.Inspect().QuarantinedSegments);

            Assert.Equal(SegmentSize, TestFeaturizer.Run(store, files));
        }

        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
            Assert.Equal(Images, TestFeaturizer.VerifyStored(store, Images));
            Assert.Equal(0, cache.Statistics.CorruptSegments);
            Assert.Equal(1, cache.Prune(files.Select(ContentHash.ComputeFile)).FilesRemoved);
            Assert.Equal(0, cache.Inspect().QuarantinedSegments);
        }
    }
}
