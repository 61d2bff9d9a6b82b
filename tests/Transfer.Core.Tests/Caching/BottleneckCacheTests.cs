using Microsoft.ML;
using Transfer.CacheWorker;
using Transfer.Caching;
using Transfer.Images;
using Transfer.Validation;

namespace Transfer.Core.Tests.Caching;

public sealed class BottleneckCacheTests : IDisposable
{
    private readonly CacheTestDirectory _dir = new();

    private string CachePath => _dir.Combine("cache");

    private string DatasetPath => _dir.Combine("dataset");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Lookup_Rerun_HitsEverything()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 25);
        using (BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 10 }))
        {
            Assert.Equal(25, TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files));
        }

        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
            Assert.Equal(0, TestFeaturizer.Run(store, files, out CacheLookupResult lookup));
            Assert.Equal(25, lookup.Hits);
            Assert.Equal(0, lookup.Misses);
            Assert.Equal(new CacheStatistics(25, 0, 0, 0, 0, 3, 0, 25), store.Statistics);
            Assert.Equal(25, TestFeaturizer.VerifyStored(store, 25));
        }
    }

    [Fact]
    public void Dispose_AfterAFailedWrite_DropsTheBufferWithOneWarningInsteadOfThrowingAgain()
    {
        var logs = new WarningCollector();
        var cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 2, LoggerFactory = logs });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        float[] vector = new float[TestFeaturizer.Dimension];
        store.Add(ContentHash.Compute([1]), vector);

        // A file where the store's folder would go makes the commit fail, as a full or read-only disk would.
        File.WriteAllText(store.Directory, "in the way");
        Assert.ThrowsAny<IOException>(() => store.Add(ContentHash.Compute([2]), vector));

        // A buffer left full by the failed commit retries the commit rather than overrunning.
        Assert.ThrowsAny<IOException>(() => store.Add(ContentHash.Compute([3]), vector));

        cache.Dispose();
        var warning = Assert.Single(logs.Warnings);
        Assert.Equal($"Closing the bottleneck cache after a failed write: 2 buffered vectors for {store.Directory} were not written and will be recomputed next time.", warning);
        Assert.Throws<ObjectDisposedException>(() => cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension));
    }

    [Fact]
    public void Dispose_FirstFailedWrite_IsThrown()
    {
        var cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 10 });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        store.Add(ContentHash.Compute([1]), new float[TestFeaturizer.Dimension]);
        File.WriteAllText(store.Directory, "in the way");

        // Nothing has reported this failure yet, so Dispose does; the cache is closed all the same.
        Assert.ThrowsAny<IOException>(cache.Dispose);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension));
    }

    private sealed class WarningCollector : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Warnings { get; } = [];

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void Lookup_OneNewImage_ComputesExactlyOne()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 12);
        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
        }

        files.AddRange(TestFeaturizer.WriteImages(DatasetPath, 1, first: 12));
        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
            Assert.Equal(1, TestFeaturizer.Run(store, files, out CacheLookupResult lookup));
            Assert.Equal([12], lookup.MissingIndices);
            Assert.Equal(13, TestFeaturizer.VerifyStored(store, 13));
        }
    }

    [Fact]
    public void Lookup_EditedImage_Recomputes()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 5);
        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        TestFeaturizer.Run(store, files);

        File.AppendAllText(files[3], "edited");
        Assert.Equal(1, TestFeaturizer.Run(store, files, out CacheLookupResult lookup));
        Assert.Equal([3], lookup.MissingIndices);

        // The vector now stored for that path is the edited content's, never the old one.
        ContentHash edited = ContentHash.ComputeFile(files[3]);
        var vector = new float[TestFeaturizer.Dimension];
        Assert.True(store.TryGet(edited, vector));
        Assert.Equal(SyntheticFeatures.Vector(edited, TestFeaturizer.Dimension), vector);
    }

    [Theory]
    [InlineData("model-B", "size=224x224;resize=bilinear;alpha=#FFFFFF;view=full")]
    [InlineData("model-A", "size=299x299;resize=bilinear;alpha=#FFFFFF;view=full")]
    [InlineData("model-A", "size=224x224;resize=nearest;alpha=#FFFFFF;view=full")]
    [InlineData("model-A", "size=224x224;resize=bilinear;alpha=#000000;view=full")]
    public void GetStore_OtherBackboneOrPreprocessing_MissesEverything(string model, string preprocessing)
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 6);
        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);

        BottleneckStore other = cache.GetStore(TestFeaturizer.Fingerprint(model, preprocessing), TestFeaturizer.Dimension);
        Assert.Equal(6, TestFeaturizer.Run(other, files, out CacheLookupResult lookup));
        Assert.Equal(0, lookup.Hits);
        Assert.Equal(2, cache.Inspect().Fingerprints.Count);
    }

    [Fact]
    public void Lookup_DuplicateImages_ComputedOnce()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 3);
        string copy = Path.Combine(DatasetPath, "sub", "copy-of-1.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(files[1], copy);
        files.Add(copy);
        files.Add(files[1]);

        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        Assert.Equal(3, TestFeaturizer.Run(store, files));
        Assert.Equal(3, store.Count);
        Assert.False(store.Add(ContentHash.ComputeFile(copy), new float[TestFeaturizer.Dimension]));
        Assert.Equal(1, store.Statistics.DuplicatesIgnored);
        Assert.Equal(5, TestFeaturizer.Run(store, files, out CacheLookupResult lookup) + lookup.Hits);
    }

    [Fact]
    public void Lookup_RenamedAndMovedFile_Hits()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 4);
        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
        }

        string moved = _dir.Combine("elsewhere", "renamed.png");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Move(files[2], moved);
        files[2] = moved;
        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            Assert.Equal(0, TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files, out CacheLookupResult lookup));
            Assert.Equal(4, lookup.Hits);
        }
    }

    [Fact]
    public void Add_HalfPrecision_RoundTripsWithinTolerance()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 20);
        var options = new BottleneckCacheOptions { Storage = VectorStorage.HalfPrecision, SegmentSize = 8 };
        using (BottleneckCache cache = BottleneckCache.Open(CachePath, options))
        {
            TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
        }

        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);

            // Values are in [-1, 1): half precision keeps 11 significant bits, so the error is at most 2^-11.
            Assert.Equal(20, TestFeaturizer.VerifyStored(store, 20, tolerance: 1f / 2048));
            Assert.ThrowsAny<Exception>(() => TestFeaturizer.VerifyStored(store, 20, tolerance: 0f));
        }
    }

    [Fact]
    public void Lookup_BufferedVectors_AreVisibleBeforeCommit()
    {
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 100 });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        ContentHash key = SyntheticFeatures.Key(7);
        store.Add(key, SyntheticFeatures.Vector(key, TestFeaturizer.Dimension));
        Assert.Equal(0, cache.Inspect().Segments);
        Assert.Equal(1, TestFeaturizer.VerifyStored(store, 10));
        cache.Flush();
        Assert.Equal(1, cache.Inspect().Segments);
    }

    [Fact]
    public void Open_InvalidOptions_ListsEveryError()
    {
        var options = new BottleneckCacheOptions { SegmentSize = 0, Storage = (VectorStorage)7, StaleTempFileAge = TimeSpan.Zero };
        ArgumentException ex = Assert.Throws<OptionsValidationException>(() => BottleneckCache.Open(CachePath, options));
        Assert.Equal(
            "Invalid BottleneckCacheOptions / Validation Errors:" + Environment.NewLine +
            "- SegmentSize must be between 1 and 1048576, was 0." + Environment.NewLine +
            "- Storage must be SinglePrecision or HalfPrecision, was 7." + Environment.NewLine +
            "- StaleTempFileAge must be positive, was 00:00:00. (Parameter 'options')",
            ex.Message);
    }

    [Fact]
    public void Add_WrongDimension_SaysExpectedAndActual()
    {
        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        BottleneckStore store = cache.GetStore("fp", 4);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => store.Add(SyntheticFeatures.Key(1), new float[3]));
        Assert.Equal("Parameter \"vector\" must have the store's dimension 4 (fingerprint \"fp\"), was 3. (Parameter 'vector')", ex.Message);
    }

    [Fact]
    public void GetStore_SameFingerprintOtherDimensionOnDisk_Throws()
    {
        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            TestFeaturizer.Run(cache.GetStore("fp", TestFeaturizer.Dimension), TestFeaturizer.WriteImages(DatasetPath, 2));
        }

        using (BottleneckCache cache = BottleneckCache.Open(CachePath))
        {
            InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => cache.GetStore("fp", 8));
            Assert.Contains("dimension 16 for fingerprint \"fp\", but the store was asked for dimension 8", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Inspect_TwoFingerprints_ReportsEntriesSegmentsAndBytes()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 30);
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 10 });
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension), files);
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint("model-B"), TestFeaturizer.Dimension), files.Take(5).ToList());

        CacheInspection inspection = cache.Inspect();
        Assert.Equal(4, inspection.Segments);
        FingerprintInspection a = Assert.Single(inspection.Fingerprints, f => f.Fingerprint == TestFeaturizer.Fingerprint());
        FingerprintInspection b = Assert.Single(inspection.Fingerprints, f => f.Fingerprint == TestFeaturizer.Fingerprint("model-B"));
        Assert.Equal((30L, 3, 16), (a.Vectors, a.Segments, a.Dimension));
        Assert.Equal((5L, 1), (b.Vectors, b.Segments));
        Assert.True(a.BytesOnDisk > 30 * 16 * 4);
        Assert.True(inspection.BytesOnDisk >= a.BytesOnDisk + b.BytesOnDisk);
    }

    [Fact]
    public void Prune_ImagesGone_RemovesOnlyTheirVectors()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 30);
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 10 });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        TestFeaturizer.Run(store, files);

        // Images 0-9 (one whole segment) and 15 are deleted.
        var remaining = files.Where((_, i) => i >= 10 && i != 15).ToList();
        PruneResult result = cache.Prune(remaining.Select(ContentHash.ComputeFile));

        Assert.Equal((11L, 19L, 1, 1), (result.VectorsRemoved, result.VectorsKept, result.SegmentsDeleted, result.SegmentsRewritten));
        Assert.True(result.BytesFreed > 0);
        Assert.Equal(19, store.Count);
        Assert.Equal(0, TestFeaturizer.Run(store, remaining));
        Assert.Equal(19, TestFeaturizer.VerifyStored(store, 30));
        Assert.Equal(19L, cache.Inspect().Fingerprints.Single().Vectors);
    }

    [Fact]
    public void Clear_FilledCache_EmptiesEveryFingerprint()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 12);
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 5 });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        TestFeaturizer.Run(store, files);
        TestFeaturizer.Run(cache.GetStore(TestFeaturizer.Fingerprint("model-B"), TestFeaturizer.Dimension), files);

        Assert.True(cache.Clear() >= 6);
        Assert.Equal(0, store.Count);
        Assert.Empty(cache.Inspect().Fingerprints);
        Assert.Equal(12, TestFeaturizer.Run(store, files));
    }

    [Fact]
    public void LoadFeatures_LabelsFromDataset_StreamsEveryRowWithItsVector()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 23);
        using BottleneckCache cache = BottleneckCache.Open(CachePath, new BottleneckCacheOptions { SegmentSize = 5 });
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        TestFeaturizer.Run(store, files);

        // Labels belong to the dataset, not the cache: relabelling costs nothing.
        var rows = files.Select((f, i) => (ContentHash.ComputeFile(f), i % 2 == 0 ? "even" : "odd")).ToList();
        var mlContext = new MLContext(seed: 1);
        IDataView data = store.LoadFeatures(mlContext, rows);

        var featuresType = (Microsoft.ML.Data.VectorDataViewType)data.Schema["Features"].Type;
        Assert.Equal(TestFeaturizer.Dimension, featuresType.Size);
        var read = mlContext.Data.CreateEnumerable<CachedFeatureRow>(data, reuseRowObject: false).ToList();
        Assert.Equal(23, read.Count);
        var expected = rows.ToDictionary(r => string.Join(",", SyntheticFeatures.Vector(r.Item1, TestFeaturizer.Dimension)), r => r.Item2);
        Assert.All(read, row => Assert.Equal(expected[string.Join(",", row.Features)], row.Label));

        // And an ML.NET trainer consumes it.
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new Microsoft.ML.Trainers.LbfgsMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = 5 }));
        Assert.NotNull(pipeline.Fit(data));
    }

    [Fact]
    public void LoadFeatures_StoreClearedAfterwards_CursorRefusesStaleRows()
    {
        List<string> files = TestFeaturizer.WriteImages(DatasetPath, 4);
        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        BottleneckStore store = cache.GetStore(TestFeaturizer.Fingerprint(), TestFeaturizer.Dimension);
        TestFeaturizer.Run(store, files);
        var mlContext = new MLContext();
        IDataView data = store.LoadFeatures(mlContext, files.Select(f => (ContentHash.ComputeFile(f), "x")));
        cache.Clear();
        TestFeaturizer.Run(store, files.Take(2).ToList());

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => mlContext.Data.CreateEnumerable<CachedFeatureRow>(data, false).ToList());
        Assert.Contains("was pruned or cleared after this data view was created. Call LoadFeatures again.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewerFormatMarker_ThrowsNotSupported()
    {
        Directory.CreateDirectory(CachePath);
        File.WriteAllText(Path.Combine(CachePath, "transfer-cache.json"), "{\"format\":\"transfer.bottleneck-cache\",\"version\":2}");
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => BottleneckCache.Open(CachePath));
        Assert.Contains("which this version (format 1) cannot read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFeatures_RowNotCached_ThrowsWithCountAndFirstKey()
    {
        using BottleneckCache cache = BottleneckCache.Open(CachePath);
        BottleneckStore store = cache.GetStore("fp", TestFeaturizer.Dimension);
        ContentHash key = SyntheticFeatures.Key(3);
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => store.LoadFeatures(new MLContext(), [(key, "cat")]));
        Assert.StartsWith($"1 of 1 rows have no vector in the bottleneck cache for fingerprint \"fp\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(key.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheFingerprint_Combine_SeparatorInBackbone_Throws()
    {
        Assert.Equal("bb|size=224", CacheFingerprint.Combine("bb", "size=224"));
        Assert.Throws<ArgumentException>(() => CacheFingerprint.Combine("a|b", "size=224"));
        Assert.NotEqual(CacheFingerprint.ForBackbone("m"u8, "d1"), CacheFingerprint.ForBackbone("m"u8, "d2"));
    }
}
