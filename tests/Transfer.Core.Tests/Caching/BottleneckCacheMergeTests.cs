using Transfer.Caching;

namespace Transfer.Core.Tests.Caching;

public sealed class BottleneckCacheMergeTests : IDisposable
{
    private const int SegmentSize = 10;
    private readonly CacheTestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Merge_TwoShardCaches_EveryVectorOnceAndIdempotent()
    {
        var files = TestFeaturizer.WriteImages(_dir.Combine("dataset"), 45);
        Fill("shard-0", files.Where((_, i) => i % 2 == 0).ToList());
        Fill("shard-1", files.Where((_, i) => i % 2 == 1 || i < 6).ToList()); // images 0–5 in both

        using var merged = Open("merged");
        var first = merged.Merge(_dir.Combine("shard-0"));
        var second = merged.Merge(_dir.Combine("shard-1"));
        var again = merged.Merge(_dir.Combine("shard-1"));

        Assert.Equal((23L, 0L), (first.VectorsAdded, first.VectorsPresent));
        Assert.Equal((22L, 3L), (second.VectorsAdded, second.VectorsPresent)); // 0, 2 and 4 came with shard 0
        Assert.Equal((0L, 25L), (again.VectorsAdded, again.VectorsPresent));
        Assert.Empty(again.DamagedSegments);
        var store = merged.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        Assert.Equal(45, TestFeaturizer.VerifyStored(store, 45));
        Assert.Equal(45, merged.Inspect().Fingerprints.Single().Vectors); // no key stored twice
    }

    [Fact]
    public void Merge_DamagedSourceSegment_RefusedAndLeftInPlace_RestMerged()
    {
        var files = TestFeaturizer.WriteImages(_dir.Combine("dataset"), 30);
        Fill("shard", files);
        string[] segments = Directory.GetFiles(_dir.Combine("shard"), "*.parquet", SearchOption.AllDirectories);
        Assert.Equal(3, segments.Length);
        string damaged = segments.Order(StringComparer.Ordinal).First();
        byte[] bytes = File.ReadAllBytes(damaged);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(damaged, bytes);

        using var merged = Open("merged");
        var result = merged.Merge(_dir.Combine("shard"));

        Assert.Equal([damaged], result.DamagedSegments);
        Assert.Equal((2, 20L), (result.SegmentsRead, result.VectorsAdded));
        Assert.Equal(bytes, File.ReadAllBytes(damaged)); // the source is only read: the damaged file is kept for inspection
        var store = merged.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        Assert.Equal(20, TestFeaturizer.VerifyStored(store, 30));
        Assert.Equal(0, merged.Inspect().Fingerprints.Single().UnreadableSegments);
    }

    [Fact]
    public void Merge_IntoItselfOrFromANonCache_Refused()
    {
        using var cache = Open("cache");
        Directory.CreateDirectory(_dir.Combine("plain"));

        var self = Assert.Throws<ArgumentException>(() => cache.Merge(cache.Directory));
        var notCache = Assert.Throws<DirectoryNotFoundException>(() => cache.Merge(_dir.Combine("plain")));

        Assert.Contains("into itself", self.Message, StringComparison.Ordinal);
        Assert.Contains("is not a bottleneck cache", notCache.Message, StringComparison.Ordinal);
    }

    private BottleneckCache Open(string name) => BottleneckCache.Open(_dir.Combine(name), new BottleneckCacheOptions { SegmentSize = SegmentSize });

    private void Fill(string name, IReadOnlyList<string> files)
    {
        using var cache = Open(name);
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
    }
}
