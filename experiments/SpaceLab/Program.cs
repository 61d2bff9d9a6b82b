if (args.Length > 0 && args[0] == "probe") { await Probe.Run("/work/wt-space-data/cache"); return; }
var (train, test) = Data.Load("/work/wt-space-data/cache", "/work/shared/data/flowers");
Console.WriteLine($"train {train.Labels.Length} test {test.Labels.Length}");
if (args.Length > 0 && args[0] == "unknown") Unknown.Run(train, test, args.Length > 1 && args[1] == "l2");
if (args.Length > 0 && args[0] == "few") Few.Run(train, test, args.Length > 2 ? args[2].Split(',').Select(int.Parse).ToArray() : [5, 2], args.Length > 1 ? int.Parse(args[1]) : 10);
if (args.Length > 0 && args[0] == "time")
{
    var rng = new Random(1);
    int n = int.Parse(args[1]), d = 768;
    var v = new float[n * d]; for (int i = 0; i < v.Length; i++) v[i] = (float)rng.NextDouble();
    var y = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
    var m = new Transfer.Featurization.FeatureMatrix(v, n, d, y, 10);
    var cls = Enumerable.Range(0, 10).Select(i => "c" + i).ToArray();
    foreach (float s in new[] { 1f, 0.3f, 1f, 0.3f })
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        new Transfer.Heads.PrototypeHeadTrainer(new Transfer.Heads.PrototypeHeadOptions { Shrinkage = s }).Train(m, null, cls);
        Console.WriteLine($"n={n} shrinkage={s}: {sw.ElapsedMilliseconds} ms wall, {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms CPU");
    }
}
if (args.Length > 0 && args[0] == "makedraws")
{
    // The same draws as `few`, as folders for the CLI: makedraws <k> <draws> <out>
    int k = int.Parse(args[1]), draws = int.Parse(args[2]);
    for (int seed = 1; seed <= draws; seed++)
    {
        foreach (int i in Few.Draw(train, k, seed))
        {
            var dir = Path.Combine(args[3], $"k{k}-s{seed}", Data.Classes[train.Labels[i]]);
            Directory.CreateDirectory(dir);
            File.Copy(train.Paths[i], Path.Combine(dir, Path.GetFileName(train.Paths[i])), true);
        }
    }
}
