using Transfer.Caching;

namespace Transfer.Testing;

/// <summary>
/// A bottleneck cache in a new temp folder that deletes itself on <see cref="Dispose"/>. Pass <see cref="Directory"/>
/// to <c>TransferPipelineBuilder.CacheBottlenecks</c>, or <see cref="Open"/> it to use it with a <c>Featurizer</c> directly.
/// </summary>
public sealed class TemporaryBottleneckCache : IDisposable
{
    private readonly List<BottleneckCache> _opened = [];
    private bool _disposed;

    /// <summary>Creates an empty cache folder under the system temp folder.</summary>
    public TemporaryBottleneckCache()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("transfer-testing-cache-").FullName;
    }

    /// <summary>Gets the cache folder's full path.</summary>
    public string Directory { get; }

    /// <summary>Gets the number of vector files (segments) the cache holds now (0 for a cache nothing was written to).</summary>
    public int SegmentCount => System.IO.Directory.Exists(Directory) ? System.IO.Directory.EnumerateFiles(Directory, "*.parquet", SearchOption.AllDirectories).Count() : 0;

    /// <summary>Opens the cache; it is disposed with this object if not before.</summary>
    /// <param name="options">Cache options; <see langword="null"/> for the defaults.</param>
    /// <returns>The open cache.</returns>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public BottleneckCache Open(BottleneckCacheOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cache = BottleneckCache.Open(Directory, options);
        _opened.Add(cache);
        return cache;
    }

    /// <summary>Closes every cache opened here and deletes the folder.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var cache in _opened)
        {
            cache.Dispose();
        }

        TemporaryDirectory.Delete(Directory);
    }
}
