namespace Transfer.Heads.Neural;

/// <summary>
/// A tiny seeded generator (SplitMix64), used instead of <see cref="Random"/> so that weights, shuffles, splits and
/// dropout masks are identical across runtimes and can be drawn in parallel by counter (<see cref="Hash"/>).
/// </summary>
internal struct SplitMix64
{
    private ulong state;

    public SplitMix64(ulong seed) => state = seed;

    /// <summary>Gets a generator for a named stream of a seed, so streams do not overlap.</summary>
    public static SplitMix64 ForStream(int seed, ulong stream) => new(Hash(((ulong)(uint)seed << 32) ^ Hash(stream)));

    /// <summary>The SplitMix64 finaliser: a well-mixed 64-bit hash of <paramref name="z"/>.</summary>
    public static ulong Hash(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Returns a double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns an integer in [0, <paramref name="maxExclusive"/>) (multiply-shift, negligible bias for the sizes used here).</summary>
    public int NextInt(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher–Yates).</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
