using Transfer.CacheWorker;
using Transfer.Caching;
using Transfer.Images;

namespace Transfer.Core.Tests.Caching;

/// <summary>What the real featurizer will do with the cache, with synthetic vectors: hash files, look up, compute the misses once, add.</summary>
internal static class TestFeaturizer
{
    public const int Dimension = 16;

    public static string Fingerprint(string model = "model-A", string preprocessing = "size=224x224;resize=bilinear;alpha=#FFFFFF;view=full") =>
        CacheFingerprint.Combine(CacheFingerprint.ForBackbone(System.Text.Encoding.UTF8.GetBytes(model), "input=data;output=features;size=16"), preprocessing);

    /// <summary>Featurizes the files; returns how many vectors were computed.</summary>
    public static int Run(BottleneckStore store, IReadOnlyList<string> files, out CacheLookupResult lookup)
    {
        var keys = files.Select(ContentHash.ComputeFile).ToArray();
        var destination = new float[keys.Length * store.Dimension];
        lookup = store.Lookup(keys, destination);
        int computed = 0;
        foreach (int i in lookup.MissingIndices)
        {
            // A duplicate later in the batch was added by its first copy.
            if (store.Contains(keys[i]))
            {
                continue;
            }

            Assert.True(store.Add(keys[i], SyntheticFeatures.Vector(keys[i], store.Dimension)));
            computed++;
        }

        store.Flush();
        return computed;
    }

    public static int Run(BottleneckStore store, IReadOnlyList<string> files) => Run(store, files, out _);

    /// <summary>Writes images 0…count−1 as files img-i.bin into a dataset folder.</summary>
    public static List<string> WriteImages(string directory, int count, int first = 0)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        for (int i = first; i < first + count; i++)
        {
            string path = Path.Combine(directory, $"img-{i}.bin");
            File.WriteAllBytes(path, SyntheticFeatures.ImageBytes(i));
            files.Add(path);
        }

        return files;
    }

    /// <summary>Checks every stored vector among images 0…count−1 against its expected value; returns how many are stored.</summary>
    public static int VerifyStored(BottleneckStore store, int count, float tolerance = 0f)
    {
        var keys = Enumerable.Range(0, count).Select(SyntheticFeatures.Key).ToArray();
        var destination = new float[keys.Length * store.Dimension];
        CacheLookupResult result = store.Lookup(keys, destination);
        var missing = new HashSet<int>(result.MissingIndices);
        for (int i = 0; i < keys.Length; i++)
        {
            if (missing.Contains(i))
            {
                continue;
            }

            float[] expected = SyntheticFeatures.Vector(keys[i], store.Dimension);
            for (int j = 0; j < store.Dimension; j++)
            {
                float actual = destination[(i * store.Dimension) + j];
                if (Math.Abs(actual - expected[j]) > tolerance)
                {
                    Assert.Fail($"Image {i} element {j}: stored {actual}, expected {expected[j]}.");
                }
            }
        }

        return result.Hits;
    }
}
