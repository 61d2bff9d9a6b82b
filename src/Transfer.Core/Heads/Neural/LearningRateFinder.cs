using System.Globalization;
using Transfer.Featurization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// Finds a learning rate as fastai's <c>lr_find</c> does: trains a fresh head for a few mini-batches while the rate
/// grows exponentially from <see cref="StartRate"/> to <see cref="EndRate"/>, records the smoothed loss, stops when the
/// loss diverges, and suggests a rate below the minimum.
/// </summary>
/// <example>
/// <code>
/// var head = new SoftmaxHead(options);
/// options.LearningRate = new LearningRateFinder().Find(head, trainFeatures).SuggestedRate;
/// </code>
/// </example>
public sealed class LearningRateFinder
{
    /// <summary>Gets or sets the first rate of the sweep.</summary>
    /// <value>The default value is 1e-7 (fastai). Must be positive and below <see cref="EndRate"/>.</value>
    public double StartRate { get; set; } = 1e-7;

    /// <summary>Gets or sets the last rate of the sweep.</summary>
    /// <value>The default value is 10 (fastai).</value>
    public double EndRate { get; set; } = 10;

    /// <summary>Gets or sets the number of mini-batches of the sweep.</summary>
    /// <value>The default value is 100 (fastai). Must be at least 5.</value>
    public int Steps { get; set; } = 100;

    /// <summary>Gets or sets the factor of the loss's exponential moving average.</summary>
    /// <value>The default value is 0.98 (fastai). Must be in [0, 1).</value>
    public double Smoothing { get; set; } = 0.98;

    /// <summary>Gets or sets how many times the lowest smoothed loss the loss may reach before the sweep stops.</summary>
    /// <value>The default value is 4 (fastai). Must be above 1.</value>
    public double DivergenceFactor { get; set; } = 4;

    /// <summary>Runs the sweep with <paramref name="head"/>'s options (optimizer, batch size, dropout, weights, seed); its schedule and validation settings are not used.</summary>
    /// <param name="head">The head to size and configure the sweep.</param>
    /// <param name="train">Training features and labels; at least 2 classes.</param>
    /// <param name="cancellationToken">Stops the sweep between mini-batches.</param>
    /// <returns>The recorded rates and losses and the suggested rate.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The finder's or the head's options, or the data, are invalid; the message lists every failure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public LearningRateFinderResult Find(NeuralHead head, FeatureMatrix train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(train);
        var problems = new ValidationProblems();
        if (!(StartRate > 0 && StartRate < EndRate) || double.IsInfinity(EndRate))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"LearningRateFinder.StartRate must be positive and below EndRate, were {StartRate} and {EndRate}; fastai uses 1e-7 and 10."));
        }

        if (Steps < 5)
        {
            problems.Add($"LearningRateFinder.Steps must be at least 5, was {Steps}; fastai uses 100.");
        }

        if (!(Smoothing >= 0 && Smoothing < 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"LearningRateFinder.Smoothing must be in [0, 1), was {Smoothing}; fastai uses 0.98."));
        }

        if (!(DivergenceFactor > 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"LearningRateFinder.DivergenceFactor must be above 1, was {DivergenceFactor}; fastai uses 4."));
        }

        NeuralHead.CheckData(train, problems);
        problems.ThrowIfAny(NeuralHeadOptions.ProblemSubject);
        head.Options.Validate(requireHiddenLayers: false);

        var session = new TrainingSession(head.LayerSizes(train.Dimension, train.ClassCount), head.Options, train, NeuralHead.ClassWeights(head.Options, train));
        var rates = new List<double>(Steps);
        var losses = new List<double>(Steps);
        double average = 0;
        double best = double.PositiveInfinity;
        int epoch = 0;
        int batch = session.StepsPerEpoch;
        for (int step = 0; step < Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch == session.StepsPerEpoch)
            {
                session.Shuffle(++epoch);
                batch = 0;
            }

            double rate = StartRate * Math.Pow(EndRate / StartRate, (double)step / (Steps - 1));
            (double objective, _, _, _) = session.TrainBatch(batch++, step, rate);
            average = (Smoothing * average) + ((1 - Smoothing) * objective);
            double smoothed = average / (1 - Math.Pow(Smoothing, step + 1));
            if (double.IsNaN(smoothed) || (step > 0 && smoothed > DivergenceFactor * best))
            {
                break;
            }

            rates.Add(rate);
            losses.Add(smoothed);
            best = Math.Min(best, smoothed);
        }

        // The first tenth of the sweep barely moves the weights; its wiggles are noise, not signal.
        int skip = Math.Min(losses.Count - 1, Steps / 10);
        int minimum = skip;
        int steepest = skip;
        double steepestSlope = double.PositiveInfinity;
        for (int i = skip; i < losses.Count; i++)
        {
            if (losses[i] < losses[minimum])
            {
                minimum = i;
            }

            if (i > skip)
            {
                double slope = (losses[i] - losses[i - 1]) / (Math.Log(rates[i]) - Math.Log(rates[i - 1]));
                if (slope < steepestSlope)
                {
                    steepestSlope = slope;
                    steepest = i;
                }
            }
        }

        return new LearningRateFinderResult(rates, losses, rates[minimum], rates[steepest]);
    }
}
