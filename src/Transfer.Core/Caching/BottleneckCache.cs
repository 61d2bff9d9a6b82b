using System.Globalization;
using Microsoft.Extensions.Logging;
using Transfer.Images;

namespace Transfer.Caching;

/// <summary>
/// A folder of bottleneck vectors keyed by image content and fingerprint, shared by runs and processes.
/// </summary>
/// <remarks>
/// <para>
/// Each fingerprint (backbone and preprocessing, see <see cref="CacheFingerprint"/>) has its own
/// <see cref="BottleneckStore"/>; within it a vector is found by the SHA-256 of the image bytes
/// (<see cref="ContentHash"/>), so duplicates are computed once, renamed files hit and edited files miss.
/// </para>
/// <para>
/// Vectors are written in segments: Parquet files written to a temporary name, flushed and renamed to the
/// SHA-256 of their bytes. A process killed at any moment leaves every committed segment intact; every
/// segment is checked against its checksum before its numbers are used, and a corrupt one is quarantined,
/// reported (<see cref="CorruptSegmentFound"/>, a log warning, <see cref="CacheStatistics.CorruptSegments"/>) and
/// its vectors recomputed. Writers never share a file, so several processes can fill one cache without locks.
/// The format is in FORMAT.md next to this file.
/// </para>
/// </remarks>
public sealed partial class BottleneckCache : IDisposable
{
    /// <summary>The name of the default cache folder inside a dataset folder: <c>.bottlenecks</c>.</summary>
    public const string DefaultDirectoryName = ".bottlenecks";

    internal const string StorePrefix = "fp-";
    internal const string QuarantineDirectoryName = "quarantine";

    private readonly Dictionary<string, BottleneckStore> _stores = new(StringComparer.Ordinal);
    private long _corruptOutsideStores;
    private bool _disposed;

    private BottleneckCache(string directory, BottleneckCacheOptions options)
    {
        Directory = directory;
        Options = options;
        Logger = options.LoggerFactory.CreateLogger<BottleneckCache>();
    }

    /// <summary>Raised when a segment fails its checksum or does not parse; it has been quarantined and its vectors will be recomputed.</summary>
    /// <remarks>Raised on the thread that found it, while the store's lock is held: keep handlers short and do not call the store from them.</remarks>
    public event EventHandler<CorruptSegmentEventArgs>? CorruptSegmentFound;

    /// <summary>Gets the cache folder (full path).</summary>
    public string Directory { get; }

    /// <summary>Gets the options the cache was opened with.</summary>
    public BottleneckCacheOptions Options { get; }

    /// <summary>Gets the counters of all stores opened through this instance, summed.</summary>
    public CacheStatistics Statistics
    {
        get
        {
            BottleneckStore[] stores;
            lock (_stores)
            {
                stores = [.. _stores.Values];
            }

            long hits = 0, misses = 0, added = 0, duplicates = 0, written = 0, loaded = 0, corrupt = Interlocked.Read(ref _corruptOutsideStores), vectors = 0;
            foreach (BottleneckStore store in stores)
            {
                CacheStatistics s = store.Statistics;
                hits += s.Hits;
                misses += s.Misses;
                added += s.Added;
                duplicates += s.DuplicatesIgnored;
                written += s.SegmentsWritten;
                loaded += s.SegmentsLoaded;
                corrupt += s.CorruptSegments;
                vectors += s.Vectors;
            }

            return new CacheStatistics(hits, misses, added, duplicates, written, loaded, corrupt, vectors);
        }
    }

    internal ILogger Logger { get; }

    /// <summary>Returns the default cache folder for a dataset: <see cref="DefaultDirectoryName"/> inside it.</summary>
    /// <param name="datasetDirectory">The dataset's root folder.</param>
    /// <returns>The cache folder path (not created).</returns>
    public static string GetDefaultDirectory(string datasetDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetDirectory);
        return Path.Combine(datasetDirectory, DefaultDirectoryName);
    }

    /// <summary>
    /// Opens (creating if needed) the cache in <paramref name="directory"/> and deletes temporary files of
    /// writers that are gone. Nothing else is read until <see cref="GetStore"/>.
    /// </summary>
    /// <param name="directory">The cache folder, for example <see cref="GetDefaultDirectory"/> of the dataset.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The open cache; dispose it to commit buffered vectors.</returns>
    /// <exception cref="ArgumentException">The options are invalid (all problems are listed), or <paramref name="directory"/> is empty.</exception>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    /// <exception cref="NotSupportedException">The folder holds a newer cache format, or the machine is big-endian.</exception>
    public static BottleneckCache Open(string directory, BottleneckCacheOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new BottleneckCacheOptions();
        options.Validate();
        if (!BitConverter.IsLittleEndian)
        {
            throw new NotSupportedException("The bottleneck cache stores little-endian floats and runs on little-endian machines only.");
        }

        string full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        CheckOrWriteFormatMarker(full);

        var cache = new BottleneckCache(full, options);
        cache.DeleteStaleTempFiles();
        return cache;
    }

    /// <summary>
    /// Gets the store of one fingerprint, indexing its segments (keys only) on first use. The same instance is
    /// returned for the same fingerprint.
    /// </summary>
    /// <param name="fingerprint">The fingerprint of backbone and preprocessing, for example from <see cref="CacheFingerprint.Combine"/>.</param>
    /// <param name="dimension">The vector length the backbone produces (512 for ResNet18).</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException"><paramref name="fingerprint"/> is empty, <paramref name="dimension"/> is not positive, or the store was already opened with another dimension.</exception>
    /// <exception cref="InvalidOperationException">The folder holds vectors of another dimension under this fingerprint.</exception>
    public BottleneckStore GetStore(string fingerprint, int dimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        if (dimension < 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter \"dimension\" must be at least 1, was {dimension}."), nameof(dimension));
        }

        lock (_stores)
        {
            EnsureNotDisposed();
            if (_stores.TryGetValue(fingerprint, out BottleneckStore? existing))
            {
                return existing.Dimension == dimension
                    ? existing
                    : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The store for fingerprint \"{fingerprint}\" is open with dimension {existing.Dimension}, was asked for {dimension}. One fingerprint has one vector size; include the feature size in the fingerprint."), nameof(dimension));
            }

            var store = new BottleneckStore(this, fingerprint, dimension, Path.Combine(Directory, StoreDirectoryName(fingerprint)));
            store.Open();
            _stores.Add(fingerprint, store);
            return store;
        }
    }

    /// <summary>Commits the buffered vectors of every open store.</summary>
    /// <exception cref="IOException">A segment could not be written.</exception>
    public void Flush()
    {
        foreach (BottleneckStore store in OpenStores())
        {
            store.Flush();
        }
    }

    /// <summary>
    /// Commits the buffered vectors of every open store and closes the cache. Where a store's last write already failed
    /// and threw (a full disk), its buffered vectors are dropped with a warning rather than failing a second time.
    /// </summary>
    /// <exception cref="IOException">A segment could not be written (the first failure of that store); the cache is closed all the same.</exception>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        IOException? first = null;
        foreach (BottleneckStore store in OpenStores())
        {
            try
            {
                store.FlushOnDispose();
            }
            catch (IOException e)
            {
                first ??= e;
            }
        }

        _disposed = true;
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    internal void EnsureNotDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal void RaiseCorruptSegment(CorruptSegmentEventArgs args) => CorruptSegmentFound?.Invoke(this, args);

    private BottleneckStore[] OpenStores()
    {
        lock (_stores)
        {
            return [.. _stores.Values];
        }
    }
}
