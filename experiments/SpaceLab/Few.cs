using System.Diagnostics;
using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads;

static class Few
{
    public static FeatureMatrix Matrix(IList<float[]> rows, IList<int> labels, int classes = 5)
    {
        int d = rows[0].Length;
        var v = new float[rows.Count * d];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(v, i * d);
        return new FeatureMatrix(v, rows.Count, d, [.. labels], classes);
    }

    public static int[] Draw(Data.Set train, int k, int seed)
    {
        var rng = new Random(seed);
        var picked = new List<int>();
        for (int c = 0; c < 5; c++)
        {
            var idx = Enumerable.Range(0, train.Labels.Length).Where(i => train.Labels[i] == c).ToArray();
            rng.Shuffle(idx);
            picked.AddRange(idx.Take(k));
        }
        return [.. picked];
    }

    public static float[] Probs(TrainedHead head, float[][] rows)
    {
        var m = Matrix(rows, new int[rows.Length]);
        var p = new float[rows.Length * 5];
        head.PredictProbabilities(m.Values, rows.Length, p);
        return p;
    }

    public static double Acc(float[] probs, int[] labels)
    {
        int ok = 0;
        for (int i = 0; i < labels.Length; i++) if (TensorPrimitives.IndexOfMax(probs.AsSpan(i * 5, 5)) == labels[i]) ok++;
        return (double)ok / labels.Length;
    }

    public static float[] Pow(float[] x, float beta) => x.Select(v => MathF.Pow(Math.Max(v, 0), beta)).ToArray();

    // Nearest centroid in centred cosine space; transform applied to train and test rows first.
    public static double Centroid(float[][] tr, int[] y, float[][] te, int[] yt, bool unitFirst = false, float[]? centre = null, float[][]? teMirror = null, float stdShrink = -1, float[]? weights = null, float whiten = -1, bool within = false, bool diagWithin = false)
    {
        int d = tr[0].Length;
        if (weights is not null) { tr = tr.Select(r => Mul(r, weights)).ToArray(); te = te.Select(r => Mul(r, weights)).ToArray(); teMirror = teMirror?.Select(r => Mul(r, weights)).ToArray(); }
        if (unitFirst) { tr = tr.Select(Unit).ToArray(); te = te.Select(Unit).ToArray(); }
        var mean = new float[d];
        foreach (var r in tr) TensorPrimitives.Add(mean, r, mean);
        TensorPrimitives.Divide(mean, tr.Length, mean);
        if (centre is not null) mean = centre;
        var scale = Enumerable.Repeat(1f, d).ToArray();
        if (stdShrink >= 0)
        {
            var v = new double[d];
            foreach (var r in tr) for (int j = 0; j < d; j++) v[j] += (r[j] - mean[j]) * (r[j] - mean[j]);
            double avg = v.Average() / tr.Length;
            for (int j = 0; j < d; j++) scale[j] = (float)(1 / Math.Sqrt((1 - stdShrink) * v[j] / tr.Length + stdShrink * avg + 1e-12));
        }
        Func<float[], float[]> W = x => x;
        if (whiten >= 0 || diagWithin)
        {
            float[][] rows;
            if (within)
            {
                var cm = new float[5][]; var cn = new int[5];
                for (int c = 0; c < 5; c++) cm[c] = new float[d];
                for (int i = 0; i < tr.Length; i++) { TensorPrimitives.Add(cm[y[i]], tr[i], cm[y[i]]); cn[y[i]]++; }
                for (int c = 0; c < 5; c++) if (cn[c] > 0) TensorPrimitives.Divide(cm[c], cn[c], cm[c]);
                rows = tr.Select((r, i) => { var z = new float[d]; TensorPrimitives.Subtract(r, cm[y[i]], z); return z; }).ToArray();
            }
            else rows = tr.Select(r => { var z = new float[d]; TensorPrimitives.Subtract(r, mean, z); return z; }).ToArray();
            if (diagWithin)
            {
                var v = new double[d];
                foreach (var r in rows) for (int j = 0; j < d; j++) v[j] += r[j] * r[j];
                double avg = v.Average() / rows.Length;
                for (int j = 0; j < d; j++) scale[j] = (float)(1 / Math.Sqrt((1 - stdShrink) * v[j] / rows.Length + stdShrink * avg + 1e-12));
            }
            else W = Whiten.Fit(rows, whiten);
        }
        float[] Z(float[] r) { var z = new float[d]; TensorPrimitives.Subtract(r, mean, z); TensorPrimitives.Multiply(z, scale, z); return Unit(W(z)); }
        var protos = new float[5][];
        for (int c = 0; c < 5; c++) protos[c] = new float[d];
        for (int i = 0; i < tr.Length; i++) TensorPrimitives.Add(protos[y[i]], Z(tr[i]), protos[y[i]]);
        int ok = 0;
        for (int i = 0; i < te.Length; i++)
        {
            var z = Z(te[i]);
            if (teMirror is not null) { TensorPrimitives.Add(z, Z(teMirror[i]), z); }
            int best = -1; float bs = float.NegativeInfinity;
            for (int c = 0; c < 5; c++) { float s = TensorPrimitives.CosineSimilarity(z, protos[c]); if (s > bs) { bs = s; best = c; } }
            if (best == yt[i]) ok++;
        }
        return (double)ok / te.Length;
    }

    public static float[] Mul(float[] r, float[] w) { var z = new float[r.Length]; TensorPrimitives.Multiply(r, w, z); return z; }
    public static float[] Unit(float[] r) { var z = (float[])r.Clone(); TensorPrimitives.Divide(z, Math.Max(TensorPrimitives.Norm(z), 1e-12f), z); return z; }

    public static void Run(Data.Set train, Data.Set test, int[] ks, int draws)
    {
        foreach (int k in ks)
        {
            var results = new Dictionary<string, List<double>>();
            void Add(string name, double a) { if (!results.TryGetValue(name, out var l)) results[name] = l = []; l.Add(a); }
            for (int seed = 1; seed <= draws; seed++)
            {
                var idx = Draw(train, k, seed);
                var trP = idx.Select(i => train.Plain[i]).ToArray();
                var trM = idx.Select(i => train.Mirror[i]).ToArray();
                var y = idx.Select(i => train.Labels[i]).ToArray();
                var m = Matrix(trP, y);
                var sw = Stopwatch.StartNew();
                var auto = new AutoHeadTrainer().Train(m, null, Data.Classes);
                Add("auto", Acc(Probs(auto, test.Plain), test.Labels));
                var autoMs = sw.ElapsedMilliseconds;
                var proto = new PrototypeHeadTrainer().Train(m, null, Data.Classes);
                Add("proto(lib default)", Acc(Probs(proto, test.Plain), test.Labels));
                var old = new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = 1f }).Train(m, null, Data.Classes);
                Add("proto(shrink=1, before)", Acc(Probs(old, test.Plain), test.Labels));
                var knn = new NearestNeighborHeadTrainer().Train(m, null, Data.Classes);
                Add("knn(lib)", Acc(Probs(knn, test.Plain), test.Labels));
                foreach (float lam in new[] { 0.05f, 0.1f, 0.6f }) Add($"proto(shrink={lam})", Acc(Probs(new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = lam }).Train(m, null, Data.Classes), test.Plain), test.Labels));
                Add("harness whiteTotal0.3", Centroid(trP, y, test.Plain, test.Labels, whiten: 0.3f));
                Console.Error.WriteLine($"k={k} seed={seed} auto {autoMs} ms");
            }
            var a = results["auto"];
            Console.WriteLine($"== {k} per class, {draws} draws");
            foreach (var (name, l) in results)
            {
                int wins = l.Zip(a).Count(p => p.First > p.Second + 1e-9), ties = l.Zip(a).Count(p => Math.Abs(p.First - p.Second) < 1e-9);
                Console.WriteLine($"{name,-22} mean {l.Average():F3}  wins/ties vs auto {wins}/{ties}  [{string.Join(' ', l.Select(v => v.ToString("F3")))}]");
            }
        }
    }
}
