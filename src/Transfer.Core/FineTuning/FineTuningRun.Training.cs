using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;

namespace Transfer.FineTuning;

/// <summary>The training of a run: warm start, epochs, early stopping and the guard.</summary>
internal sealed partial class FineTuningRun
{
    private const double AdamBeta1 = 0.9;
    private const double AdamBeta2 = 0.999;
    private const double AdamEpsilon = 1e-8;

    /// <summary>Trains; returns the tuned backbone and head (or the frozen ones, when the guard keeps them).</summary>
    public FineTuneResult Train(IProgress<FineTuneProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (train, validation) = SplitImages();
        int threads = _options.Threads ?? Environment.ProcessorCount;
        int epochs = _options.Epochs;
        using var session = new TunedNetworkSession(Network, _options.BatchSize, threads);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        var batch = new Batch(_options.BatchSize, Network.TrunkLength);
        _split.InitialParameters().CopyTo(session.BackboneParameters, 0);

        progress?.Report(new FineTuneProgress(FineTuneStage.WarmStart, null, 0, epochs, 0, 0, null));
        var warmStart = WarmStart(session, train, batch, threads, runOptions, cancellationToken);
        warmStart.CopyTo(session.HeadParameters, 0);
        var frozen = Evaluate(session, validation, batch, runOptions, cancellationToken);

        var backboneOptimizer = Optimizer(session.BackboneParameters, [.. BackboneWeightRanges()], threads);
        var headOptimizer = Optimizer(session.HeadParameters, [(0, Network.Classes * Network.FeatureLength)], threads);
        var stopping = _options.EarlyStopping;
        bool byAccuracy = stopping.Metric == EarlyStoppingMetric.ValidationAccuracy;
        double Score((double Loss, double Accuracy) m) => byAccuracy ? m.Accuracy : -m.Loss;

        // Patience counts from the last epoch that beat the best so far (epoch 0, the frozen features, included) by
        // MinDelta; the best tuned epoch is kept whatever its margin.
        double bestScore = Score(frozen);
        int bestEpoch = 0;
        var tuned = new EpochWeights(0, frozen, [], []);
        var history = new List<EpochMetrics>();
        int batches = (train.Length + _options.BatchSize - 1) / _options.BatchSize;
        long trainedImages = 0;
        var trainingClock = new Stopwatch();
        bool stoppedEarly = false;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            int[] order = [.. train];
            SplitMix64.ForStream(_options.Seed, 0x5EED_0000UL + (ulong)epoch).Shuffle(order);
            double lossSum = 0;
            int correct = 0;
            double rate = 0;
            trainingClock.Start();
            for (int b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int start = b * _options.BatchSize;
                int count = Math.Min(_options.BatchSize, order.Length - start);
                batch.Load(_file!, session.Trunk, order.AsSpan(start, count), _labels, image => (image * Views) + ViewOf(image, epoch));
                double loss = Run(() => session.Step(count, batch.Labels, runOptions), cancellationToken);
                int step = ((epoch - 1) * batches) + b;
                rate = _options.Schedule.LearningRate(_options.BackboneLearningRate, step, batches, batches * epochs);
                backboneOptimizer.Step(session.BackboneGradient, rate);
                headOptimizer.Step(session.HeadGradient, _options.Schedule.LearningRate(_options.HeadLearningRate, step, batches, batches * epochs));
                lossSum += loss * count;
                correct += Correct(session.LogProbabilities, batch.Labels, count);
                trainedImages += count;
                progress?.Report(new FineTuneProgress(FineTuneStage.Training, null, epoch, epochs, b + 1, batches, null));
            }

            trainingClock.Stop();
            var measured = Evaluate(session, validation, batch, runOptions, cancellationToken);
            var metrics = new EpochMetrics
            {
                Epoch = epoch,
                TotalEpochs = epochs,
                Batches = batches,
                TrainAccuracy = (double)correct / train.Length,
                TrainCrossEntropy = lossSum / train.Length,
                ValidationAccuracy = measured.Accuracy,
                ValidationCrossEntropy = measured.Loss,
                LearningRate = rate,
                Elapsed = epochClock.Elapsed,
            };
            history.Add(metrics);
            progress?.Report(new FineTuneProgress(FineTuneStage.Training, null, epoch, epochs, batches, batches, metrics));
            if (tuned.Epoch == 0 || Score(measured) > Score(tuned.Metrics))
            {
                tuned = new EpochWeights(epoch, measured, (float[])session.BackboneParameters.Clone(), (float[])session.HeadParameters.Clone());
            }

            if (Score(measured) > bestScore + stopping.MinDelta)
            {
                (bestScore, bestEpoch) = (Score(measured), epoch);
            }
            else if (epoch - bestEpoch >= stopping.Patience)
            {
                stoppedEarly = epoch < epochs;
                break;
            }
        }

        // The guard: when no tuned epoch beat the warm-started head on the frozen features, keep those.
        bool keptFrozen = bestEpoch == 0 && _options.KeepFrozenUnlessBetter;
        var chosen = keptFrozen ? new EpochWeights(0, frozen, [], warmStart)
            : stopping.RestoreBestWeights ? tuned
            : new EpochWeights(history.Count, (history[^1].ValidationCrossEntropy!.Value, history[^1].ValidationAccuracy!.Value), session.BackboneParameters, session.HeadParameters);
        var backbone = keptFrozen ? _split.Source : _split.WithWeights(chosen.Backbone);
        var head = Head(chosen.Head);
        var summary = new FineTuneSummary
        {
            TrainImages = train.Length,
            ValidationImages = validation.Length,
            FrozenValidationAccuracy = frozen.Accuracy,
            FrozenValidationLoss = frozen.Loss,
            TunedValidationAccuracy = tuned.Metrics.Accuracy,
            TunedValidationLoss = tuned.Metrics.Loss,
            KeptFrozen = keptFrozen,
            ImagesPerSecond = trainingClock.Elapsed.TotalSeconds > 0 ? trainedImages / trainingClock.Elapsed.TotalSeconds : 0,
            CachingTime = _cachingTime,
            TrainingTime = clock.Elapsed,
            Skipped = _skipped,
            Layers = _options.Layers,
            TunedParameters = _split.ParameterCount,
        };
        return new FineTuneResult(backbone, head, new TrainingHistory(history, chosen.Epoch, stoppedEarly), summary);
    }

    /// <summary>Which view of an image an epoch trains on: the image or its mirror, drawn from the seed, epoch and image.</summary>
    private int ViewOf(int image, int epoch) =>
        Views == 1 ? 0 : (int)(SplitMix64.Hash(SplitMix64.Hash(((ulong)(uint)_options.Seed << 32) | (uint)epoch) ^ (ulong)image) & 1);

    /// <summary>A maximum-entropy head on the frozen features of the training images (the step-0 forward pass): weights [classes, features], then biases.</summary>
    private float[] WarmStart(TunedNetworkSession session, int[] train, Batch batch, int threads, RunOptions runOptions, CancellationToken cancellationToken)
    {
        int d = Network.FeatureLength;
        var values = new float[(long)train.Length * d];
        var labels = new int[train.Length];
        for (int start = 0; start < train.Length; start += batch.Capacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch.Capacity, train.Length - start);
            batch.Load(_file!, session.Trunk, train.AsSpan(start, count), _labels, image => image * Views);
            Run(() => session.Forward(count, batch.Labels, runOptions), cancellationToken);
            session.Features.AsSpan(0, count * d).CopyTo(values.AsSpan(start * d));
            batch.Labels.AsSpan(0, count).CopyTo(labels.AsSpan(start));
        }

        var features = new FeatureMatrix(values, train.Length, d, labels, Network.Classes);
        var options = new MaximumEntropyHeadOptions { L2Regularization = (float)(_options.WarmStartL2 ?? FineTuneOptions.DefaultWarmStartL2), L1Regularization = 0, Threads = threads };
        var (parameters, _, _) = MaximumEntropyHeadTrainer.FitFrom(features, options, null, cancellationToken);
        int classes = Network.Classes;
        var head = new float[classes * (d + 1)];
        parameters.AsSpan(classes).CopyTo(head); // ML.NET's layout: biases first, then class-major weights
        parameters.AsSpan(0, classes).CopyTo(head.AsSpan(classes * d));
        return head;
    }

    /// <summary>Mean cross-entropy and accuracy over images (their plain view).</summary>
    private (double Loss, double Accuracy) Evaluate(TunedNetworkSession session, int[] images, Batch batch, RunOptions runOptions, CancellationToken cancellationToken)
    {
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < images.Length; start += batch.Capacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch.Capacity, images.Length - start);
            batch.Load(_file!, session.Trunk, images.AsSpan(start, count), _labels, image => image * Views);
            loss += Run(() => session.Forward(count, batch.Labels, runOptions), cancellationToken) * count;
            correct += Correct(session.LogProbabilities, batch.Labels, count);
        }

        return (loss / images.Length, (double)correct / images.Length);
    }

    private TransformerHead Head(float[] parameters)
    {
        int classes = Network.Classes;
        int d = Network.FeatureLength;
        var ml = new Microsoft.ML.MLContext(0);
        var model = Heads.MaximumEntropy.MaximumEntropyTransformer.Create(ml, FeatureDataView.FeaturesColumn, parameters.AsSpan(0, classes * d), parameters[(classes * d)..], d, _images.Classes);
        return new TransformerHead(ml, model, _images.Classes, d, "fine-tune");
    }

    private ParameterOptimizer Optimizer(float[] parameters, (int Offset, int Length)[] weights, int threads) =>
        new(parameters, weights, _options.Optimizer, _options.Momentum, AdamBeta1, AdamBeta2, AdamEpsilon, _options.WeightDecay, threads);

    private IEnumerable<(int Offset, int Length)> BackboneWeightRanges()
    {
        int offset = 0;
        foreach (var p in Network.Parameters.Where(p => p.IsBackbone))
        {
            if (p.IsWeight)
            {
                yield return (offset, p.Length);
            }

            offset += p.Length;
        }
    }

    private int Correct(float[] logProbabilities, int[] labels, int count)
    {
        int classes = Network.Classes;
        int correct = 0;
        for (int i = 0; i < count; i++)
        {
            correct += TensorPrimitives.IndexOfMax(logProbabilities.AsSpan(i * classes, classes)) == labels[i] ? 1 : 0;
        }

        return correct;
    }

    /// <summary>Runs a session call, turning ONNX Runtime's interruption by the token into a cancellation.</summary>
    private static double Run(Func<double> call, CancellationToken cancellationToken)
    {
        try
        {
            return call();
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Fine-tuning was cancelled.", cancellationToken);
        }
    }

    /// <summary>An epoch's validation figures and weights.</summary>
    private sealed record EpochWeights(int Epoch, (double Loss, double Accuracy) Metrics, float[] Backbone, float[] Head);

    /// <summary>The labels of the batch being run and the reusable read buffers.</summary>
    private sealed class Batch(int capacity, int rowLength)
    {
        private readonly Half[] _scratch = new Half[(long)capacity * rowLength];
        private readonly int[] _rows = new int[capacity];

        public int Capacity => capacity;

        public int[] Labels { get; } = new int[capacity];

        /// <summary>Reads the rows of <paramref name="images"/> (the row of each chosen by <paramref name="row"/>) into <paramref name="trunk"/>.</summary>
        public void Load(ActivationFile file, float[] trunk, ReadOnlySpan<int> images, int[] labels, Func<int, int> row)
        {
            for (int i = 0; i < images.Length; i++)
            {
                _rows[i] = row(images[i]);
                Labels[i] = labels[images[i]];
            }

            file.Read(_rows.AsSpan(0, images.Length), trunk, _scratch);
        }
    }
}
