using System.Numerics.Tensors;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Images;

static class Probe
{
    public static async Task Run(string cacheDir)
    {
        using var cache = BottleneckCache.Open(cacheDir);
        var fps = cache.Inspect().Fingerprints;
        var set = ImageSet.FromDirectory("/work/wt-space-data/probe");
        foreach (var mode in new[] { ResizeMode.Stretch, ResizeMode.CenterCrop })
        {
            using var f = new Featurizer(Transfer.Backbones.Backbones.Default, new FeaturizerOptions { Preprocessing = ImagePreprocessing.Default with { ResizeMode = mode } });
            Console.WriteLine($"{mode} key {f.FeatureSpaceKey}");
            var r = await f.FeaturizeAsync(set);
            for (int i = 0; i < r.Features.Count; i++)
            {
                var h = ContentHash.ComputeFile(r.Images[i].Path);
                foreach (var fp in fps)
                {
                    var v = new float[768];
                    cache.GetStore(fp.Fingerprint!, 768).TryGet(h, v);
                    Console.WriteLine($"  img{i} {fp.Fingerprint} cos={TensorPrimitives.CosineSimilarity(v, r.Features.Row(i)):F5}");
                }
            }
        }
    }
}
