using System.Globalization;
using Spectre.Console;
using Transfer.Cli.Output;
using Transfer.Pipelines;

namespace Transfer.Cli.Commands;

/// <content>Progress output of <c>train</c>: a line per stage off a terminal, bars on one.</content>
internal static partial class TrainCommand
{
    private static async Task<TransferResult> RunWithProgressAsync(CliConsole console, TransferPipeline pipeline, bool json, CancellationToken ct)
    {
        if (json)
        {
            return await pipeline.RunAsync(null, ct).ConfigureAwait(false);
        }

        if (!console.Interactive)
        {
            // Plain: a line per stage and every 25 % of featurization.
            var lastQuarter = new Dictionary<string, int>(StringComparer.Ordinal);
            var plain = new CallbackProgress<PipelineProgress>(p =>
            {
                if (p.Featurization is { } f && f.Total > 0)
                {
                    int quarter = f.Completed * 4 / f.Total;
                    lock (lastQuarter)
                    {
                        if (lastQuarter.TryGetValue(p.Dataset, out int last) && last >= quarter)
                        {
                            return;
                        }

                        lastQuarter[p.Dataset] = quarter;
                    }

                    console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Featurizing {p.Dataset}: {f.Completed}/{f.Total} ({f.CacheHits} cached)"));
                }
                else if (p.Stage == PipelineStage.TrainingHead)
                {
                    console.WriteLine("Training the head...");
                }
                else if (p.Stage == PipelineStage.FineTuning)
                {
                    FineTuneArguments.WriteProgress(console, p);
                }
            });
            return await pipeline.RunAsync(plain, ct).ConfigureAwait(false);
        }

        return await console.Ansi.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new CallbackProgress<PipelineProgress>(p =>
                {
                    lock (tasks)
                    {
                        string key = p.Stage == PipelineStage.Featurizing ? p.Dataset : p.Stage == PipelineStage.FineTuning ? $"{p.Stage}{p.FineTuning?.Stage}{p.FineTuning?.Epoch}" : p.Stage.ToString();
                        if (p.Stage == PipelineStage.Done)
                        {
                            foreach (var t in tasks.Values)
                            {
                                t.Value = t.MaxValue;
                                t.StopTask();
                            }

                            return;
                        }

                        if (!tasks.TryGetValue(key, out var task))
                        {
                            foreach (var t in tasks.Values.Where(t => !t.IsFinished))
                            {
                                t.Value = t.MaxValue;
                                t.StopTask();
                            }

                            string label = p.Stage switch
                            {
                                PipelineStage.Featurizing => $"Featurizing {p.Dataset}",
                                PipelineStage.TrainingHead => "Training the head",
                                PipelineStage.FineTuning => p.FineTuning?.Stage switch
                                {
                                    FineTuning.FineTuneStage.Caching => "Fine-tuning: caching activations",
                                    FineTuning.FineTuneStage.WarmStart => "Fine-tuning: warm-start head",
                                    _ => $"Fine-tuning epoch {p.FineTuning?.Epoch}/{p.FineTuning?.Epochs}",
                                },
                                _ => "Evaluating",
                            };
                            task = ctx.AddTask(Markup.Escape(label), maxValue: 1);
                            tasks[key] = task;
                        }

                        if (p.Featurization is { } f && f.Total > 0)
                        {
                            task.MaxValue = f.Total;
                            task.Value = f.Completed;
                        }
                        else if (p.FineTuning is { Batches: > 0 } t)
                        {
                            task.MaxValue = t.Batches;
                            task.Value = t.Batch;
                        }
                    }
                });
                return await pipeline.RunAsync(progress, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }
}
