using Transfer.Caching;
using Transfer.Images;

static class Data
{
    public static string[] Classes = ["daisy", "dandelion", "roses", "sunflowers", "tulips"];

    public sealed record Set(float[][] Plain, float[][] Mirror, int[] Labels, string[] Paths);

    public static (Set Train, Set Test) Load(string cacheDir, string root)
    {
        using var cache = BottleneckCache.Open(cacheDir);
        var fps = cache.Inspect().Fingerprints;
        foreach (var f in fps) Console.Error.WriteLine($"fp {f.Fingerprint} dim={f.Dimension} n={f.Vectors}");
        var plainFp = fps.Single(f => f.Fingerprint!.EndsWith("86fa4a7b23f4d0dc", StringComparison.Ordinal)); // CenterCrop, plain view (checked by featurizing two images)
        var mirrorFp = fps.Single(f => f != plainFp);
        var plain = cache.GetStore(plainFp.Fingerprint!, plainFp.Dimension);
        var mirror = cache.GetStore(mirrorFp.Fingerprint!, mirrorFp.Dimension);
        Set Read(string dir)
        {
            var p = new List<float[]>(); var m = new List<float[]>(); var y = new List<int>(); var paths = new List<string>();
            for (int c = 0; c < Classes.Length; c++)
            {
                foreach (var file in Directory.GetFiles(Path.Combine(dir, Classes[c])).Order(StringComparer.Ordinal))
                {
                    var h = ContentHash.ComputeFile(file);
                    var a = new float[plain.Dimension]; var b = new float[mirror.Dimension];
                    if (!plain.TryGet(h, a) || !mirror.TryGet(h, b)) throw new InvalidOperationException("missing " + file);
                    p.Add(a); m.Add(b); y.Add(c); paths.Add(file);
                }
            }
            return new Set([.. p], [.. m], [.. y], [.. paths]);
        }
        return (Read(Path.Combine(root, "train")), Read(Path.Combine(root, "test")));
    }
}
