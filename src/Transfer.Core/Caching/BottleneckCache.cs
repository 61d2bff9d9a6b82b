using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

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
public sealed class BottleneckCache : IDisposable
{
    /// <summary>The name of the default cache folder inside a dataset folder: <c>.bottlenecks</c>.</summary>
    public const string DefaultDirectoryName = ".bottlenecks";

    internal const string StorePrefix = "fp-";
    internal const string QuarantineDirectoryName = "quarantine";
    private const string MarkerFileName = "transfer-cache.json";
    private const string MarkerContent = "{\"format\":\"transfer.bottleneck-cache\",\"version\":1,\"documentation\":\"src/Transfer.Core/Caching/FORMAT.md\"}\n";

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
        string marker = Path.Combine(full, MarkerFileName);
        if (File.Exists(marker))
        {
            string text = File.ReadAllText(marker);
            if (ReadMarkerVersion(text) != 1)
            {
                throw new NotSupportedException($"Bottleneck cache {full} has format marker {text.Trim()}, which this version (format 1) cannot read. Use a newer Transfer, or another cache folder.");
            }
        }
        else
        {
            WriteAtomically(marker, Encoding.UTF8.GetBytes(MarkerContent));
        }

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
    /// Describes the folder: per fingerprint the vectors, segments and bytes on disk, read from segment footers
    /// (no vectors are read). Segments of other processes are included.
    /// </summary>
    /// <returns>The inspection.</returns>
    public CacheInspection Inspect()
    {
        EnsureNotDisposed();
        var fingerprints = new List<FingerprintInspection>();
        int segments = 0, quarantined = 0, temporary = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            string? fingerprint = null;
            int dimension = 0, count = 0, unreadable = 0;
            long vectors = 0, bytes = 0;
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.AllDirectories))
            {
                bytes += file.Length;
                if (file.Name.EndsWith(SegmentFile.TempExtension, StringComparison.Ordinal))
                {
                    temporary++;
                }
                else if (Path.GetFileName(file.DirectoryName) == QuarantineDirectoryName)
                {
                    quarantined++;
                }
                else if (SegmentFile.IsSegmentName(file.Name))
                {
                    try
                    {
                        SegmentHeader header = SegmentFile.ReadFooter(file.FullName);
                        fingerprint ??= header.Fingerprint;
                        dimension = header.Dimension;
                        vectors += header.Count;
                        count++;
                    }
                    catch (Exception ex) when (ex is SegmentCorruptException or IOException)
                    {
                        unreadable++;
                    }
                }
            }

            segments += count;
            if (bytes == 0 && count == 0 && unreadable == 0)
            {
                continue;
            }

            fingerprints.Add(new FingerprintInspection(fingerprint, storeDirectory, dimension, vectors, count, unreadable, bytes));
        }

        long total = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        return new CacheInspection(Directory, fingerprints, total, segments, quarantined, temporary);
    }

    /// <summary>Removes the vectors of images that are gone; see <see cref="Prune(Func{ContentHash, bool})"/>.</summary>
    /// <param name="keep">The content hashes of the images that still exist.</param>
    /// <returns>What was removed.</returns>
    public PruneResult Prune(IEnumerable<ContentHash> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var set = new HashSet<ContentHash>(keep);
        return Prune(set.Contains);
    }

    /// <summary>
    /// Removes, in every fingerprint, the vectors whose key <paramref name="keep"/> rejects: a segment with no
    /// kept key is deleted, one with some is rewritten (new segment committed, then the old deleted). Also deletes
    /// quarantined segments and stale temporary files. Buffered vectors are committed first.
    /// </summary>
    /// <param name="keep">Returns <see langword="true"/> for content hashes to keep.</param>
    /// <returns>What was removed.</returns>
    /// <remarks>
    /// Safe against a crash (a killed prune leaves old or new segments, possibly both, which only duplicates keys).
    /// Another process using the cache meanwhile may lose some vectors it had indexed and recompute them.
    /// </remarks>
    public PruneResult Prune(Func<ContentHash, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        EnsureNotDisposed();
        Flush();
        long before = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        long removed = 0, kept = 0;
        int deleted = 0, rewritten = 0, filesRemoved = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.TopDirectoryOnly))
            {
                if (!SegmentFile.IsSegmentName(file.Name))
                {
                    continue;
                }

                try
                {
                    SegmentHeader header = SegmentFile.ReadKeys(file.FullName);
                    var rows = new List<int>();
                    for (int i = 0; i < header.Keys.Length; i++)
                    {
                        if (keep(header.Keys[i]))
                        {
                            rows.Add(i);
                        }
                    }

                    kept += rows.Count;
                    removed += header.Count - rows.Count;
                    if (rows.Count == header.Count)
                    {
                        continue;
                    }

                    if (rows.Count > 0)
                    {
                        float[] values = SegmentFile.ReadVectors(file.FullName, header.Dimension);
                        var keys = new ContentHash[rows.Count];
                        var vectors = new float[rows.Count * header.Dimension];
                        for (int i = 0; i < rows.Count; i++)
                        {
                            keys[i] = header.Keys[rows[i]];
                            values.AsSpan(rows[i] * header.Dimension, header.Dimension).CopyTo(vectors.AsSpan(i * header.Dimension));
                        }

                        SegmentFile.Write(storeDirectory, header.Fingerprint, header.Dimension, header.Storage, keys, vectors);
                        rewritten++;
                    }
                    else
                    {
                        deleted++;
                    }

                    File.Delete(file.FullName);
                }
                catch (FileNotFoundException)
                {
                    // Pruned by another process meanwhile.
                }
                catch (SegmentCorruptException ex)
                {
                    ReportCorrupt(file.FullName, ex.Message);
                }
            }

            string quarantine = Path.Combine(storeDirectory, QuarantineDirectoryName);
            foreach (FileInfo file in SafeFiles(quarantine, SearchOption.TopDirectoryOnly))
            {
                file.Delete();
                filesRemoved++;
            }
        }

        filesRemoved += DeleteStaleTempFiles();
        foreach (BottleneckStore store in OpenStores())
        {
            store.Reload(keepPending: true);
        }

        long after = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        return new PruneResult(removed, kept, deleted, rewritten, filesRemoved, before - after);
    }

    /// <summary>Deletes every stored vector of every fingerprint, buffered ones included. Open stores stay usable and empty.</summary>
    /// <returns>The number of files deleted.</returns>
    /// <remarks>A writer in another process that commits meanwhile may leave its new segment behind; that is harmless.</remarks>
    public int Clear()
    {
        EnsureNotDisposed();
        int files = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.AllDirectories))
            {
                try
                {
                    file.Delete();
                    files++;
                }
                catch (IOException)
                {
                    // Held open on another platform; it is removed by the next clear.
                }
            }

            try
            {
                System.IO.Directory.Delete(storeDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A writer in another process added a file meanwhile.
            }
        }

        foreach (BottleneckStore store in OpenStores())
        {
            store.Reload(keepPending: false);
        }

        return files;
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

    internal static string StoreDirectoryName(string fingerprint) =>
        StorePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)).AsSpan(0, 16));

    internal void EnsureNotDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal void RaiseCorruptSegment(CorruptSegmentEventArgs args) => CorruptSegmentFound?.Invoke(this, args);

    /// <summary>Moves a corrupt segment into its store's quarantine folder; returns where, or null when it could not be moved.</summary>
    internal static string? Quarantine(string path)
    {
        try
        {
            string quarantine = Path.Combine(Path.GetDirectoryName(path)!, QuarantineDirectoryName);
            System.IO.Directory.CreateDirectory(quarantine);
            string target = Path.Combine(quarantine, Path.GetFileName(path));
            File.Move(path, target, overwrite: true);
            return target;
        }
        catch (IOException)
        {
            // Moved or deleted by another process; it is out of the way either way.
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void ReportCorrupt(string path, string reason)
    {
        Interlocked.Increment(ref _corruptOutsideStores);
        string? quarantined = Quarantine(path);
        CacheLog.SegmentCorrupt(Logger, path, reason, quarantined, 0);
        RaiseCorruptSegment(new CorruptSegmentEventArgs("(unknown: found by prune)", path, quarantined, reason));
    }

    private BottleneckStore[] OpenStores()
    {
        lock (_stores)
        {
            return [.. _stores.Values];
        }
    }

    private List<string> StoreDirectories()
    {
        try
        {
            return [.. System.IO.Directory.EnumerateDirectories(Directory, StorePrefix + "*")];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static List<FileInfo> SafeFiles(string directory, SearchOption option)
    {
        var files = new List<FileInfo>();
        try
        {
            foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles("*", option))
            {
                try
                {
                    _ = file.Length;
                    files.Add(file);
                }
                catch (FileNotFoundException)
                {
                    // Renamed or deleted by another process while listing.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // No such folder yet.
        }

        return files;
    }

    private int DeleteStaleTempFiles()
    {
        int deleted = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.TopDirectoryOnly))
            {
                if (file.Name.EndsWith(SegmentFile.TempExtension, StringComparison.Ordinal) && IsStale(file))
                {
                    try
                    {
                        file.Delete();
                        deleted++;
                        CacheLog.TempFileDeleted(Logger, file.FullName);
                    }
                    catch (IOException)
                    {
                        // Committed or deleted meanwhile.
                    }
                }
            }
        }

        return deleted;
    }

    // Name: tmp-{machine}-{pid}-{guid}.partial. Stale when its writer is a process of this machine that is gone, or when old.
    private bool IsStale(FileInfo file)
    {
        if (DateTime.UtcNow - file.LastWriteTimeUtc > Options.StaleTempFileAge)
        {
            return true;
        }

        string[] parts = file.Name.Split('-');
        if (parts.Length < 4 || !int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return false;
        }

        string machine = string.Join('-', parts[1..^2]);
        if (!string.Equals(machine, Environment.MachineName, StringComparison.Ordinal))
        {
            return false;
        }

        if (pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static int ReadMarkerVersion(string text)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("version", out System.Text.Json.JsonElement version) && version.TryGetInt32(out int value) ? value : -1;
        }
        catch (System.Text.Json.JsonException)
        {
            return -1;
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = path + "." + Guid.NewGuid().ToString("N") + SegmentFile.TempExtension;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
