using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads;

// Issue 21 (b): 4 classes trained, the fifth unseen; scores higher = more "known"; thresholds from out-of-fold known-class scores.
static class Unknown
{
    delegate double[] Scorer(float[][] tr, int[] y, float[][] te, float[][] teMirror);

    static float[] Mean(float[][] rows) { var m = new float[rows[0].Length]; foreach (var r in rows) TensorPrimitives.Add(m, r, m); TensorPrimitives.Divide(m, rows.Length, m); return m; }
    static float[] Sub(float[] a, float[] b) { var z = new float[a.Length]; TensorPrimitives.Subtract(a, b, z); return z; }

    static FeatureMatrix M(float[][] rows, int[] y) => Few.Matrix(rows, y, 4);

    static float[] Probs4(TrainedHead h, float[][] rows)
    {
        var m = Few.Matrix(rows, new int[rows.Length], 4);
        var p = new float[rows.Length * 4];
        h.PredictProbabilities(m.Values, rows.Length, p);
        return p;
    }

    // Cosine of each row to each prototype of the whitened prototype head (same space as PrototypeHeadTrainer): via its probabilities' logits = T·cos.
    static double[][] ProtoCos(float[][] tr, int[] y, float[][] te, float shrink)
    {
        var head = (TrainedPrototypeHead)new PrototypeHeadTrainer(new PrototypeHeadOptions { Shrinkage = shrink, Temperature = 1f }).Train(M(tr, y), null, Classes4);
        // with temperature 1, log p_k = cos_k - logsumexp(cos): differences recover cos up to a shared shift; take log p + lse via max trick not possible, so compute directly:
        var p = Probs4(head, te);
        return Enumerable.Range(0, te.Length).Select(i => Enumerable.Range(0, 4).Select(k => Math.Log(Math.Max(p[i * 4 + k], 1e-30))).ToArray()).ToArray();
    }

    static readonly string[] Classes4 = ["k0", "k1", "k2", "k3"];

    // Whitened centred space of the training rows (what the new prototype head works in), rows returned unit length.
    static Func<float[], float[]> Space(float[][] tr, float shrink)
    {
        var mean = Mean(tr);
        var rows = tr.Select(r => Sub(r, mean)).ToArray();
        var w = shrink >= 1 ? (Func<float[], float[]>)(x => x) : Whiten.Fit(rows, shrink);
        return x => Few.Unit(w(Sub(x, mean)));
    }

    static double[] MaxProtoCos(float[][] tr, int[] y, float[][] te, float shrink)
    {
        var f = Space(tr, shrink);
        var z = tr.Select(f).ToArray();
        var protos = Enumerable.Range(0, 4).Select(c => { var p = new float[z[0].Length]; for (int i = 0; i < z.Length; i++) if (y[i] == c) TensorPrimitives.Add(p, z[i], p); return Few.Unit(p); }).ToArray();
        return te.Select(x => { var q = f(x); return (double)protos.Max(p => TensorPrimitives.Dot(q, p)); }).ToArray();
    }

    static double[] KnnCos(float[][] tr, float[][] te, float shrink, int k)
    {
        var f = Space(tr, shrink);
        var z = tr.Select(f).ToArray();
        return te.Select(x => { var q = f(x); return z.Select(r => (double)TensorPrimitives.Dot(q, r)).OrderDescending().Take(k).Average(); }).ToArray();
    }

    // Minus the norm of the part of the centred row outside the top-d principal subspace of the training rows (ViM's residual).
    static double[] Residual(float[][] tr, float[][] te, int d, bool relative)
    {
        var mean = Mean(tr);
        var rows = tr.Select(r => Sub(r, mean)).ToArray();
        var basis = Pca(rows, d);
        return te.Select(x =>
        {
            var c = Sub(x, mean);
            double total = TensorPrimitives.Dot(c, c), inside = basis.Sum(v => Math.Pow(TensorPrimitives.Dot(c, v), 2));
            return relative ? -Math.Sqrt(Math.Max(0, total - inside) / total) : -Math.Sqrt(Math.Max(0, total - inside));
        }).ToArray();
    }

    static float[][] Pca(float[][] rows, int d)
    {
        int n = rows.Length;
        var g = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) g[i, j] = g[j, i] = TensorPrimitives.Dot(rows[i], rows[j]);
        var (vals, vecs) = Whiten.Jacobi(g);
        var order = Enumerable.Range(0, n).OrderByDescending(k => vals[k]).Take(d).Where(k => vals[k] > 1e-9).ToArray();
        return order.Select(k => { var v = new float[rows[0].Length]; for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(rows[i], (float)vecs[i, k], v, v); return Few.Unit(v); }).ToArray();
    }

    // Minus the smallest Mahalanobis distance to a class in the top-d PCA space, per-class covariance shrunk toward its diagonal mean.
    static double[] Mahalanobis(float[][] tr, int[] y, float[][] te, int d, double shrink)
    {
        var mean = Mean(tr);
        var basis = Pca(tr.Select(r => Sub(r, mean)).ToArray(), d);
        double[] P(float[] x) { var c = Sub(x, mean); return basis.Select(v => (double)TensorPrimitives.Dot(c, v)).ToArray(); }
        var ptr = tr.Select(P).ToArray();
        int dd = basis.Length;
        var classes = Enumerable.Range(0, 4).Select(c =>
        {
            var rows = ptr.Where((_, i) => y[i] == c).ToArray();
            var mu = new double[dd]; foreach (var r in rows) for (int j = 0; j < dd; j++) mu[j] += r[j] / rows.Length;
            var cov = new double[dd, dd];
            foreach (var r in rows) for (int a = 0; a < dd; a++) for (int b = 0; b < dd; b++) cov[a, b] += (r[a] - mu[a]) * (r[b] - mu[b]) / rows.Length;
            double tr0 = 0; for (int a = 0; a < dd; a++) tr0 += cov[a, a];
            for (int a = 0; a < dd; a++) for (int b = 0; b < dd; b++) cov[a, b] = (1 - shrink) * cov[a, b] + (a == b ? shrink * tr0 / dd : 0);
            var (vals, vecs) = Whiten.Jacobi(cov);
            double logdet = vals.Sum(Math.Log);
            return (mu, vals, vecs, logdet);
        }).ToArray();
        return te.Select(x =>
        {
            var p = P(x);
            return -classes.Min(c =>
            {
                double s = 0;
                for (int k = 0; k < dd; k++) { double proj = 0; for (int j = 0; j < dd; j++) proj += (p[j] - c.mu[j]) * c.vecs[j, k]; s += proj * proj / c.vals[k]; }
                return s;
            });
        }).ToArray();
    }

    static double[] FlipAgreement(float[][] tr, float[][] te, float[][] teM, float shrink)
    {
        var f = Space(tr, shrink);
        return te.Select((x, i) => (double)TensorPrimitives.Dot(f(x), f(teM[i]))).ToArray();
    }

    static double[] Energy(float[][] tr, int[] y, float[][] te, double? clip)
    {
        if (clip is { } q)
        {
            var all = tr.SelectMany(r => r).Order().ToArray();
            float c = all[(int)(q * (all.Length - 1))];
            tr = tr.Select(r => r.Select(v => Math.Min(v, c)).ToArray()).ToArray();
            te = te.Select(r => r.Select(v => Math.Min(v, c)).ToArray()).ToArray();
        }
        var h = (TrainedPrototypeHead)new PrototypeHeadTrainer().Train(M(tr, y), null, Classes4);
        var cos = MaxProtoCosAll(tr, y, te, 0.3f);
        return cos.Select(row => { double mx = row.Max(); return mx * h.Temperature + Math.Log(row.Sum(v => Math.Exp(h.Temperature * (v - mx)))); }).ToArray();
    }

    static double[][] MaxProtoCosAll(float[][] tr, int[] y, float[][] te, float shrink)
    {
        var f = Space(tr, shrink);
        var z = tr.Select(f).ToArray();
        var protos = Enumerable.Range(0, 4).Select(c => { var p = new float[z[0].Length]; for (int i = 0; i < z.Length; i++) if (y[i] == c) TensorPrimitives.Add(p, z[i], p); return Few.Unit(p); }).ToArray();
        return te.Select(x => { var q = f(x); return protos.Select(p => (double)TensorPrimitives.Dot(q, p)).ToArray(); }).ToArray();
    }

    static double[] Vim(float[][] tr, int[] y, float[][] te, int d)
    {
        var eTr = Energy(tr, y, tr, null); var rTr = Residual(tr, tr, d, false);
        var h = (TrainedPrototypeHead)new PrototypeHeadTrainer().Train(M(tr, y), null, Classes4);
        double maxLogit = MaxProtoCosAll(tr, y, tr, 0.3f).Average(r => r.Max()) * h.Temperature;
        double alpha = maxLogit / rTr.Average(v => -v);
        var e = Energy(tr, y, te, null); var r = Residual(tr, te, d, false);
        return e.Select((v, i) => v + alpha * r[i]).ToArray(); // r is minus the residual norm
    }

    // Ranks within the known images' out-of-fold scores (fraction of them at or below), averaged.
    public static void Run(Data.Set train, Data.Set test, bool l2Only = false)
    {
        var scorers = new List<(string Name, Scorer S)>
        {
            ("whitened proto max prob (s=0.3, T calibrated)", (tr, y, te, m) => { var h = new PrototypeHeadTrainer().Train(M(tr, y), null, Classes4); var p = Probs4(h, te); return Enumerable.Range(0, te.Length).Select(i => (double)p.AsSpan(i * 4, 4).ToArray().Max()).ToArray(); }),
            ("whitened proto energy (lse of T*cos)", (tr, y, te, m) => Energy(tr, y, te, null)),
            ("ReAct p90 clip + whitened proto energy", (tr, y, te, m) => Energy(tr, y, te, 0.9)),
            ("ViM: energy - a*residual(PCA-64)", (tr, y, te, m) => Vim(tr, y, te, 64)),
            ("power 0.5 then nearest image cosine (plain)", (tr, y, te, m) => KnnCos(tr.Select(r => Few.Pow(r, 0.5f)).ToArray(), te.Select(r => Few.Pow(r, 0.5f)).ToArray(), 1f, 1)),
            ("power 0.5 then 5 nearest images cosine", (tr, y, te, m) => KnnCos(tr.Select(r => Few.Pow(r, 0.5f)).ToArray(), te.Select(r => Few.Pow(r, 0.5f)).ToArray(), 1f, 5)),
            ("residual norm outside PCA-64", (tr, y, te, m) => Residual(tr, te, 64, false)),
            ("auto head max prob", (tr, y, te, m) => { var h = new AutoHeadTrainer().Train(M(tr, y), null, Classes4); var p = Probs4(h, te); return Enumerable.Range(0, te.Length).Select(i => (double)p.AsSpan(i * 4, 4).ToArray().Max()).ToArray(); }),
        };
        if (l2Only)
        {
            scorers = [.. new[] { 100f, 1f, 0.01f, 0.001f }.Select(l2 => ($"maximum entropy L2={l2} (L1=0) max prob", (Scorer)((tr, y, te, m) => { var h = new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = l2, L1Regularization = 0 }).Train(M(tr, y), null, Classes4); var p = Probs4(h, te); return Enumerable.Range(0, te.Length).Select(i => (double)p.AsSpan(i * 4, 4).ToArray().Max()).ToArray(); }))), scorers[^1]];
        }

        var names = Data.Classes;
        var table = new Dictionary<string, List<string>>();
        var cache = new Dictionary<(string, int), (double[] Oof, double[] Test)>();
        for (int held = 0; held < 5; held++)
        {
            var known = Enumerable.Range(0, 5).Where(c => c != held).ToArray();
            int Map(int c) => Array.IndexOf(known, c);
            var trIdx = Enumerable.Range(0, train.Labels.Length).Where(i => train.Labels[i] != held).ToArray();
            var tr = trIdx.Select(i => train.Plain[i]).ToArray();
            var trM = trIdx.Select(i => train.Mirror[i]).ToArray();
            var y = trIdx.Select(i => Map(train.Labels[i])).ToArray();
            // 5 folds, stratified by position within class after a fixed shuffle
            var rng = new Random(42);
            var fold = new int[tr.Length];
            for (int c = 0; c < 4; c++) { var idx = Enumerable.Range(0, tr.Length).Where(i => y[i] == c).ToArray(); rng.Shuffle(idx); for (int j = 0; j < idx.Length; j++) fold[idx[j]] = j % 5; }
            // classifier: whitened prototype head (and auto head) on the 4 known classes
            var proto = new PrototypeHeadTrainer().Train(M(tr, y), null, Classes4);
            var protoP = Probs4(proto, test.Plain);
            var auto = new AutoHeadTrainer().Train(M(tr, y), null, Classes4);
            var autoP = Probs4(auto, test.Plain);
            var knownTest = Enumerable.Range(0, test.Labels.Length).Where(i => test.Labels[i] != held).ToArray();
            var unseenTest = Enumerable.Range(0, test.Labels.Length).Where(i => test.Labels[i] == held).ToArray();
            bool Right(float[] p, int i) => TensorPrimitives.IndexOfMax(p.AsSpan(i * 4, 4)) == Map(test.Labels[i]);
            Console.WriteLine($"== unseen {names[held]}: accuracy on the 48 known photos: prototype {knownTest.Count(i => Right(protoP, i)) / 48.0:F3}, auto {knownTest.Count(i => Right(autoP, i)) / 48.0:F3}");
            // out-of-fold predictions of the prototype classifier, for per-class thresholds and the accuracy budget
            var oofPred = new int[tr.Length];
            for (int f = 0; f < 5; f++)
            {
                var inF = Enumerable.Range(0, tr.Length).Where(i => fold[i] != f).ToArray();
                var outF = Enumerable.Range(0, tr.Length).Where(i => fold[i] == f).ToArray();
                var h = new PrototypeHeadTrainer().Train(M(inF.Select(i => tr[i]).ToArray(), inF.Select(i => y[i]).ToArray()), null, Classes4);
                var p = Probs4(h, outF.Select(i => tr[i]).ToArray());
                for (int j = 0; j < outF.Length; j++) oofPred[outF[j]] = TensorPrimitives.IndexOfMax(p.AsSpan(j * 4, 4));
            }
            var testPred = Enumerable.Range(0, test.Labels.Length).Select(i => TensorPrimitives.IndexOfMax(protoP.AsSpan(i * 4, 4))).ToArray();
            var ranks = new Dictionary<string, (double[] Oof, double[] Test)>();
            void Report(string name, double[] oof, double[] tst)
            {
                ranks[name] = (oof, tst);
                var sorted = oof.Order().ToArray();
                double g = sorted[(int)Math.Floor(0.05 * sorted.Length)];
                var perClass = Enumerable.Range(0, 4).Select(c => { var v = oof.Where((_, i) => oofPred[i] == c).Order().ToArray(); return v.Length == 0 ? g : v[(int)Math.Floor(0.05 * v.Length)]; }).ToArray();
                // budget: the highest threshold at which out-of-fold correct-and-rejected known images stay within 5 % of all
                double budget = sorted.Where(t => oof.Where((v, i) => v < t && oofPred[i] == y[i]).Count() <= 0.05 * oof.Length).DefaultIfEmpty(g).Max();
                foreach (var (rule, th) in new (string, Func<int, double>)[] { ("5%", _ => g), ("5%/class", i => perClass[testPred[i]]), ("5pt budget", _ => budget) })
                {
                    int rejUnseen = unseenTest.Count(i => tst[i] < th(i));
                    int rejKnown = knownTest.Count(i => tst[i] < th(i));
                    double accP = knownTest.Count(i => Right(protoP, i) && tst[i] >= th(i)) / 48.0;
                    double auc = unseenTest.Sum(u => knownTest.Sum(k => tst[k] > tst[u] ? 1.0 : tst[k] == tst[u] ? 0.5 : 0)) / (12.0 * 48);
                    Console.WriteLine($"  {name,-46} {rule,-10} unseen rejected {rejUnseen,2}/12, known rejected {rejKnown,2}/48, known acc (proto head) {knownTest.Count(i => Right(protoP, i)) / 48.0:F3} -> {accP:F3}, AUROC {auc:F3}");
                }
            }
            double[] Rank(double[] oofRef, double[] v) { var s = oofRef.Order().ToArray(); return v.Select(x => (double)s.Count(t => t <= x) / s.Length).ToArray(); }
            foreach (var (name, s) in scorers)
            {
                var oof = new double[tr.Length];
                for (int f = 0; f < 5; f++)
                {
                    var inF = Enumerable.Range(0, tr.Length).Where(i => fold[i] != f).ToArray();
                    var outF = Enumerable.Range(0, tr.Length).Where(i => fold[i] == f).ToArray();
                    var sc = s(inF.Select(i => tr[i]).ToArray(), inF.Select(i => y[i]).ToArray(), outF.Select(i => tr[i]).ToArray(), outF.Select(i => trM[i]).ToArray());
                    for (int j = 0; j < outF.Length; j++) oof[outF[j]] = sc[j];
                }
                var tst = s(tr, y, test.Plain, test.Mirror);
                cache[(name, held)] = (oof, tst);
                Report(name, oof, tst);
            }
            foreach (var (a1, b1) in l2Only ? [] : new[] { ("whitened proto max prob (s=0.3, T calibrated)", "power 0.5 then nearest image cosine (plain)"), ("whitened proto max prob (s=0.3, T calibrated)", "residual norm outside PCA-64"), ("auto head max prob", "power 0.5 then nearest image cosine (plain)") })
            {
                var (oa, ta) = ranks[a1]; var (ob, tb) = ranks[b1];
                Report($"ranks: {a1[..16]} + {b1[..16]}", Rank(oa, oa).Zip(Rank(ob, ob), (p, q) => p + q).ToArray(), Rank(oa, ta).Zip(Rank(ob, tb), (p, q) => p + q).ToArray());
            }
        }
    }
}
