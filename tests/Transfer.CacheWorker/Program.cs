// Fills a bottleneck cache with synthetic vectors, the way the featurizer will: look up a batch,
// compute the misses, add them. Used by the crash (SIGKILL) and concurrency tests.
//
// dotnet Transfer.CacheWorker.dll --cache DIR --fingerprint FP --dimension N --first I --count N
//     [--segment-size N] [--half] [--batch N] [--pause-ms N] [--descending]
using System.Globalization;
using Transfer.Caching;
using Transfer.CacheWorker;
using Transfer.Images;

var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--half" or "--descending")
    {
        arguments[args[i]] = "true";
    }
    else if (i + 1 < args.Length)
    {
        arguments[args[i]] = args[++i];
    }
}

string Arg(string name, string? fallback = null) =>
    arguments.TryGetValue(name, out string? value) ? value : fallback ?? throw new ArgumentException($"Missing argument {name}.");
int IntArg(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

string directory = Arg("--cache");
string fingerprint = Arg("--fingerprint");
int dimension = IntArg("--dimension", 0);
int first = IntArg("--first", 0);
int count = IntArg("--count", 0);
int batch = IntArg("--batch", 32);
int pauseMs = IntArg("--pause-ms", 0);
bool descending = arguments.ContainsKey("--descending");
var options = new BottleneckCacheOptions
{
    SegmentSize = IntArg("--segment-size", BottleneckCacheOptions.DefaultSegmentSize),
    Storage = arguments.ContainsKey("--half") ? VectorStorage.HalfPrecision : VectorStorage.SinglePrecision,
};

using (BottleneckCache cache = BottleneckCache.Open(directory, options))
{
    BottleneckStore store = cache.GetStore(fingerprint, dimension);
    Console.WriteLine("ready");
    Console.Out.Flush();
    var keys = new ContentHash[batch];
    var destination = new float[batch * dimension];
    var vector = new float[dimension];
    for (int start = 0; start < count; start += batch)
    {
        int n = Math.Min(batch, count - start);
        for (int i = 0; i < n; i++)
        {
            int image = descending ? first + count - 1 - (start + i) : first + start + i;
            keys[i] = SyntheticFeatures.Key(image);
        }

        CacheLookupResult result = store.Lookup(keys.AsSpan(0, n), destination);
        foreach (int missing in result.MissingIndices)
        {
            SyntheticFeatures.Fill(keys[missing], vector);
            store.Add(keys[missing], vector);
        }

        // Stands in for featurization time, so only batches with work pause.
        if (pauseMs > 0 && result.Misses > 0)
        {
            Thread.Sleep(pauseMs);
        }

        // Lets a test kill the worker at a point of the work rather than of the clock.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch {(start / batch) + 1}"));
        Console.Out.Flush();
    }

    cache.Flush();
    CacheStatistics s = cache.Statistics;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done hits={s.Hits} misses={s.Misses} added={s.Added} corrupt={s.CorruptSegments} segments={s.SegmentsWritten}"));
}

return 0;
