using System.Diagnostics;
using System.Text.Json.Nodes;
using Transfer.Search;

namespace Transfer.Benchmarks;

/// <summary>
/// Exact cosine search (<see cref="VectorIndex"/>): one query against 1,000,000 vectors of 512 floats (ResNet18's
/// length), seeded random values shaped like pooled ReLU features; medians of several queries after a warm-up.
/// </summary>
internal static class SimilarBench
{
    public const string Command = "similar";

    public static JsonObject Measure(int vectors = 1_000_000, int dimension = 512, int queries = 7)
    {
        var random = new Random(11);
        var mean = new float[dimension];
        for (int d = 0; d < dimension; d++)
        {
            mean[d] = 0.5f;
        }

        var index = new VectorIndex(mean, vectors);
        var row = new float[dimension];
        var build = Stopwatch.StartNew();
        for (int i = 0; i < vectors; i++)
        {
            for (int d = 0; d < dimension; d++)
            {
                row[d] = MathF.Max(0, (float)(random.NextDouble() - 0.3));
            }

            index.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), row);
        }

        double buildSeconds = build.Elapsed.TotalSeconds;
        var times = new List<double>();
        for (int q = 0; q <= queries; q++)
        {
            for (int d = 0; d < dimension; d++)
            {
                row[d] = MathF.Max(0, (float)(random.NextDouble() - 0.3));
            }

            var clock = Stopwatch.StartNew();
            var found = index.Search(row, 10);
            double ms = clock.Elapsed.TotalMilliseconds;
            if (found.Count != 10)
            {
                throw new InvalidOperationException($"The search returned {found.Count} matches instead of 10.");
            }

            if (q > 0)
            {
                times.Add(ms); // the first query is a warm-up
            }
        }

        return new JsonObject
        {
            ["vectors"] = vectors,
            ["dimension"] = dimension,
            ["top"] = 10,
            ["query_ms_median"] = Stats.Round(Stats.Median(times), 1),
            ["query_ms_runs"] = new JsonArray([.. times.Select(t => (JsonNode)Stats.Round(t, 1))]),
            ["index_build_s"] = Stats.Round(buildSeconds, 1),
            ["index_mb"] = Stats.Round((double)vectors * dimension * 4 / (1 << 20), 0),
        };
    }
}
