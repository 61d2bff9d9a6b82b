using System.Numerics.Tensors;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>What a minimisation did.</summary>
/// <param name="Iterations">Accepted steps.</param>
/// <param name="Evaluations">Objective and gradient evaluations, line-search trials included.</param>
/// <param name="Value">The objective at the result, L1 term included.</param>
internal readonly record struct MinimizationSummary(int Iterations, int Evaluations, double Value);

/// <summary>
/// Limited-memory BFGS for a smooth objective plus an optional L1 term on the parameters from a given index on:
/// OWL-QN (Andrew and Gao, "Scalable training of L1-regularized log-linear models", ICML 2007), which is plain
/// L-BFGS when the L1 weight is 0. It stops as ML.NET's L-BFGS trainers do: when the objective's mean relative
/// improvement over the last 5 iterations is below the tolerance, or at the iteration limit.
/// </summary>
internal sealed class OwlqnMinimizer
{
    /// <summary>Iterations the mean relative improvement is taken over (ML.NET's value).</summary>
    private const int ImprovementWindow = 5;

    /// <summary>Sufficient decrease constant of the backtracking line search.</summary>
    private const double Armijo = 1e-4;

    /// <summary>Step halvings before a direction is given up.</summary>
    private const int MaxBacktracks = 30;

    private readonly int _history;
    private readonly float _l1;
    private readonly int _l1Start;
    private readonly float _tolerance;
    private readonly int _maxIterations;

    /// <param name="history">Past steps kept for the Hessian approximation.</param>
    /// <param name="l1">Weight of the L1 term (0 for none).</param>
    /// <param name="l1Start">First parameter the L1 term applies to (the ones before are biases).</param>
    /// <param name="tolerance">Mean relative improvement below which to stop.</param>
    /// <param name="maxIterations">Iteration limit.</param>
    public OwlqnMinimizer(int history, float l1, int l1Start, float tolerance, int maxIterations)
    {
        _history = history;
        _l1 = l1;
        _l1Start = l1Start;
        _tolerance = tolerance;
        _maxIterations = maxIterations;
    }

    /// <summary>The smooth part: writes the gradient at <c>x</c> and returns the value.</summary>
    public delegate double Objective(ReadOnlySpan<float> x, Span<float> gradient);

    /// <summary>Minimises from <paramref name="x"/>, which receives the result.</summary>
    /// <param name="objective">The smooth part of the objective.</param>
    /// <param name="x">The starting point; receives the minimiser.</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <returns>What the minimisation did.</returns>
    /// <exception cref="InvalidOperationException">The objective is not finite at the starting point.</exception>
    public MinimizationSummary Minimize(Objective objective, float[] x, CancellationToken cancellationToken)
    {
        int n = x.Length;
        var g = new float[n];
        var pg = new float[n];
        var d = new float[n];
        var xNew = new float[n];
        var gNew = new float[n];
        var sScratch = new float[n];
        var yScratch = new float[n];
        var steps = new float[_history][];
        var changes = new float[_history][];
        var curvatures = new double[_history];
        var alphas = new double[_history];
        int stored = 0, newest = -1;
        var past = new Queue<double>(ImprovementWindow);

        double value = objective(x, g) + L1Term(x);
        int evaluations = 1;
        if (!double.IsFinite(value))
        {
            throw new InvalidOperationException($"The maximum-entropy objective is {value} at the start: the training features hold NaN or infinite values. Remove those rows, or check the backbone that produced them.");
        }

        int iterations = 0;
        bool steepestOnly = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PseudoGradient(x, g, pg);
            TensorPrimitives.Negate(pg, d);
            if (!steepestOnly)
            {
                TwoLoop(d, steps, changes, curvatures, alphas, stored, newest);
                ConstrainToOrthant(d, pg);
            }

            double slope = Dot(d, pg);
            if (!(slope < 0))
            {
                // Not a descent direction (curvature pairs gone stale): start again from steepest descent.
                TensorPrimitives.Negate(pg, d);
                slope = Dot(d, pg);
                stored = 0;
                if (!(slope < 0))
                {
                    break; // the pseudo-gradient is zero: at the optimum
                }
            }

            float step = iterations == 0 ? 1f / TensorPrimitives.Norm(d) : 1f;
            bool accepted = false;
            double newValue = value;
            for (int trial = 0; trial < MaxBacktracks; trial++)
            {
                TakeStep(x, d, step, pg, xNew);
                newValue = objective(xNew, gNew) + L1Term(xNew);
                evaluations++;
                double decrease = Dot(pg, xNew) - Dot(pg, x); // pg · (xNew − x) ≤ 0
                if (decrease < 0 && newValue <= value + (Armijo * decrease))
                {
                    accepted = true;
                    break;
                }

                step *= 0.5f;
            }

            if (!accepted)
            {
                if (stored > 0 && !steepestOnly)
                {
                    stored = 0;
                    steepestOnly = true; // one more try along the steepest descent before giving up
                    continue;
                }

                break; // no decrease left at float precision
            }

            steepestOnly = false;
            TensorPrimitives.Subtract(xNew, x, sScratch);
            TensorPrimitives.Subtract(gNew, g, yScratch);
            double sy = Dot(sScratch, yScratch);
            if (sy > 0 && double.IsFinite(sy))
            {
                // A pair with positive curvature replaces the oldest (its arrays become the next scratch).
                newest = (newest + 1) % _history;
                (steps[newest], sScratch) = (sScratch, steps[newest] ?? new float[n]);
                (changes[newest], yScratch) = (yScratch, changes[newest] ?? new float[n]);
                curvatures[newest] = sy;
                stored = Math.Min(stored + 1, _history);
            }

            (x, xNew) = (xNew, x);
            (g, gNew) = (gNew, g);
            value = newValue;
            iterations++;
            if (Converged(past, value) || iterations >= _maxIterations)
            {
                break;
            }
        }

        if ((iterations & 1) == 1)
        {
            // x and xNew were swapped an odd number of times: the caller's array holds the previous point.
            x.AsSpan().CopyTo(xNew);
        }

        return new MinimizationSummary(iterations, evaluations, value);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>ML.NET's MeanRelativeImprovementCriterion: (value 5 iterations ago − value) / 5 / |value| &lt; tolerance.</summary>
    private bool Converged(Queue<double> past, double value)
    {
        if (past.Count < ImprovementWindow)
        {
            past.Enqueue(value);
            return false;
        }

        double improvement = (past.Dequeue() - value) / ImprovementWindow;
        past.Enqueue(value);
        return improvement / Math.Abs(value) < _tolerance;
    }

    private double L1Term(ReadOnlySpan<float> x) => _l1 > 0 ? _l1 * (double)TensorPrimitives.SumOfMagnitudes(x[_l1Start..]) : 0;

    /// <summary>The minimum-norm subgradient of smooth + L1 (equal to the gradient where the L1 term is differentiable).</summary>
    private void PseudoGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> pg)
    {
        g.CopyTo(pg);
        if (_l1 <= 0)
        {
            return;
        }

        float l1 = _l1;
        for (int i = _l1Start; i < x.Length; i++)
        {
            float xi = x[i], gi = g[i];
            pg[i] = xi > 0 ? gi + l1
                : xi < 0 ? gi - l1
                : gi + l1 < 0 ? gi + l1
                : gi - l1 > 0 ? gi - l1
                : 0;
        }
    }

    /// <summary>Drops direction components that would not descend along the pseudo-gradient (OWL-QN's projection).</summary>
    private void ConstrainToOrthant(Span<float> d, ReadOnlySpan<float> pg)
    {
        if (_l1 <= 0)
        {
            return;
        }

        for (int i = _l1Start; i < d.Length; i++)
        {
            if (d[i] * pg[i] >= 0)
            {
                d[i] = 0;
            }
        }
    }

    /// <summary>xNew = x + step·d, with L1 parameters that would cross zero (leave their orthant) set to zero.</summary>
    private void TakeStep(ReadOnlySpan<float> x, ReadOnlySpan<float> d, float step, ReadOnlySpan<float> pg, Span<float> xNew)
    {
        TensorPrimitives.MultiplyAdd(d, step, x, xNew);
        if (_l1 <= 0)
        {
            return;
        }

        for (int i = _l1Start; i < x.Length; i++)
        {
            float orthant = x[i] != 0 ? x[i] : -pg[i];
            if (xNew[i] * orthant <= 0)
            {
                xNew[i] = 0;
            }
        }
    }

    /// <summary>d = H·d, the L-BFGS two-loop recursion over the stored pairs (oldest is newest − stored + 1).</summary>
    private void TwoLoop(Span<float> d, float[][] steps, float[][] changes, double[] curvatures, double[] alphas, int stored, int newest)
    {
        if (stored == 0)
        {
            return;
        }

        for (int k = 0; k < stored; k++)
        {
            int i = (newest - k + _history) % _history;
            double a = Dot(steps[i], d) / curvatures[i];
            alphas[i] = a;
            TensorPrimitives.MultiplyAdd(changes[i], (float)-a, d, d);
        }

        double yy = Dot(changes[newest], changes[newest]);
        TensorPrimitives.Multiply(d, (float)(curvatures[newest] / yy), d);
        for (int k = stored - 1; k >= 0; k--)
        {
            int i = (newest - k + _history) % _history;
            double b = Dot(changes[i], d) / curvatures[i];
            TensorPrimitives.MultiplyAdd(steps[i], (float)(alphas[i] - b), d, d);
        }
    }
}
