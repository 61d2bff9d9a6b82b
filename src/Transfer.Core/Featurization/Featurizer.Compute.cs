using System.Threading.Channels;
using Microsoft.ML.OnnxRuntime;
using Transfer.Images;

namespace Transfer.Featurization;

/// <content>Computing features: a producer decodes batches in parallel while ONNX Runtime runs the previous one.</content>
public sealed partial class Featurizer
{
    private async Task ComputeAsync(IReadOnlyList<ImageEntry> images, int[] indices, Func<int, ContentHash>? hashOf, FeatureSink sink, IFeatureStore? store, RunState run, IProgress<FeaturizationProgress>? progress, CancellationToken cancellationToken)
    {
        if (indices.Length == 0)
        {
            return;
        }

        int batchSize = BatchSize;
        int decodeThreads = Options.DecodeThreads > 0 ? Options.DecodeThreads : Environment.ProcessorCount;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var full = Channel.CreateBounded<Batch>(1);
        var free = Channel.CreateUnbounded<Batch>();
        for (int i = 0; i < 3; i++)
        {
            free.Writer.TryWrite(new Batch(batchSize, Session.PixelsPerImage, pinned: Session.ActiveProvider.IsCuda));
        }

        var producer = Task.Run(
            async () =>
            {
                try
                {
                    for (int start = 0; start < indices.Length; start += batchSize)
                    {
                        var batch = await free.Reader.ReadAsync(token).ConfigureAwait(false);
                        batch.Fill(images, indices, start, Math.Min(batchSize, indices.Length - start), Options, Session, hashOf, decodeThreads, token);
                        await full.Writer.WriteAsync(batch, token).ConfigureAwait(false);
                    }

                    full.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    full.Writer.TryComplete(e);
                }
            },
            token);

        using var runOptions = new RunOptions();
        using var registration = token.Register(() => runOptions.Terminate = true);
        var output = new float[batchSize * FeatureLength];
        try
        {
            await foreach (var batch in full.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (batch.DecodedCount > 0)
                {
                    Run(batch.Pixels, batch.DecodedCount, output, runOptions, token);
                }

                int decodedRow = 0;
                for (int j = 0; j < batch.Count; j++)
                {
                    int index = batch.Indices[j];
                    if (batch.Skips[j] is { } skip)
                    {
                        run.Skipped.Add(skip);
                        continue;
                    }

                    var features = output.AsSpan(decodedRow++ * FeatureLength, FeatureLength);
                    if (store is not null && hashOf is not null)
                    {
                        store.Add(hashOf(index), features);
                    }

                    sink(index, features);
                    run.Computed++;
                }

                run.Completed += batch.Count;
                free.Writer.TryWrite(batch);
                run.Report(progress);
            }
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            throw;
        }

        await producer.ConfigureAwait(false);
    }
}
