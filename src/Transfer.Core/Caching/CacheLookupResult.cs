namespace Transfer.Caching;

/// <summary>The outcome of <see cref="BottleneckStore.Lookup"/>: which of the asked keys were found.</summary>
public sealed class CacheLookupResult
{
    internal CacheLookupResult(int requested, int[] missingIndices)
    {
        Requested = requested;
        MissingIndices = missingIndices;
    }

    /// <summary>Gets the number of keys asked for.</summary>
    public int Requested { get; }

    /// <summary>Gets the number of keys found; their vectors were written to the destination.</summary>
    public int Hits => Requested - MissingIndices.Count;

    /// <summary>Gets the number of keys not in the cache (to compute and <see cref="BottleneckStore.Add"/>).</summary>
    public int Misses => MissingIndices.Count;

    /// <summary>Gets the positions, ascending, of the keys that were not found; their destination rows are left untouched.</summary>
    public IReadOnlyList<int> MissingIndices { get; }
}
