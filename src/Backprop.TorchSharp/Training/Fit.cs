using System.Diagnostics;
using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's <c>fit(epochs, model, loss_func, opt, train_dl, valid_dl)</c>: train an epoch, then validate it, and report
/// the validation loss and accuracy weighted by batch size.
/// </summary>
/// <remarks>
/// Each batch runs in its own dispose scope, which also holds the batch itself. Losses and correct counts are summed on
/// the device; the host reads them once per epoch (one transfer of three numbers), never per step. When a read of
/// <see cref="BatchProgress.RunningLoss"/> (a progress display's, every k batches) sees a NaN or infinite loss, training
/// stops after that batch: the epoch is reported (<see cref="FitOptions.OnEpoch"/>, not validated) with the mean loss of
/// the batches it ran, and no further epoch runs.
/// </remarks>
public static class Fit
{
    /// <summary>The lesson's <c>fit</c>, with autograd: <see cref="AutogradStep"/> over (model, lossFunc, opt).</summary>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="model">The model, on the loaders' device.</param>
    /// <param name="lossFunc">The loss of (preds, yb), a 0-dim mean; also the validation loss.</param>
    /// <param name="opt">The optimizer over the model's parameters.</param>
    /// <param name="trainDl">Training batches.</param>
    /// <param name="validDl">Validation batches; <see langword="null"/> to skip validation (ValidLoss and ValidAccuracy are NaN).</param>
    /// <param name="options">Hooks, cancellation and the first epoch's number.</param>
    public static IReadOnlyList<EpochResult> Run(int epochs, nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> lossFunc,
        optim.Optimizer opt, DataLoader trainDl, DataLoader? validDl, FitOptions? options = null) =>
        Run(epochs, new AutogradStep(model, lossFunc, opt), lossFunc, trainDl, validDl, options);

    /// <summary>Trains any <see cref="ITrainStep"/> (autograd or hand-written gradients) for <paramref name="epochs"/>.</summary>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="step">One training step and the model's predictions.</param>
    /// <param name="lossFunc">The validation loss of (preds, yb), a 0-dim mean.</param>
    /// <param name="trainDl">Training batches.</param>
    /// <param name="validDl">Validation batches; <see langword="null"/> to skip validation (ValidLoss and ValidAccuracy are NaN).</param>
    /// <param name="options">Hooks, cancellation and the first epoch's number.</param>
    /// <returns>One result per epoch trained (fewer than <paramref name="epochs"/> when <see cref="FitOptions.OnEpoch"/> stopped it, or a progress read saw a non-finite loss).</returns>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static IReadOnlyList<EpochResult> Run(int epochs, ITrainStep step, Func<Tensor, Tensor, Tensor> lossFunc,
        DataLoader trainDl, DataLoader? validDl, FitOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        options ??= FitOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FirstEpoch, 1, nameof(options));
        var results = new List<EpochResult>(epochs);
        for (var epoch = options.FirstEpoch; epoch < options.FirstEpoch + epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var watch = new LossWatch();
            using var trainLoss = Train(epoch, step, trainDl, options, clock, watch);
            var (valid, validCount) = validDl is null || watch.Batches < trainDl.Count ? (null, 0) : Validate(epoch, step, lossFunc, validDl, options);
            using var validSums = valid;
            var result = Read(epoch, trainLoss, watch.Batches, validSums, validCount, clock);
            results.Add(result);
            if (options.OnEpoch?.Invoke(result) == false || watch.NonFiniteSeen) break;
        }
        return results;
    }

    /// <summary>One epoch of training (cut short when a progress read sees a non-finite loss); returns the sum of the batch losses, 0-dim, on the device.</summary>
    private static Tensor Train(int epoch, ITrainStep step, DataLoader dl, FitOptions options, Stopwatch clock, LossWatch watch)
    {
        step.SetTraining(true);
        var lossSum = zeros([], device: dl.Device).DetachFromDisposeScope();
        try
        {
            using var batches = dl.GetEnumerator();
            for (var i = 0; ; i++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (xb, yb) = batches.Current;
                var loss = step.Step(xb, yb);
                lossSum.add_(loss);
                watch.Batches = i + 1;
                options.OnBatch?.Invoke(new BatchProgress(epoch, i, dl.Count, loss, lossSum, clock, watch));
                if (watch.NonFiniteSeen) break;
            }
            return lossSum;
        }
        catch
        {
            lossSum.Dispose();
            throw;
        }
    }

    /// <summary>Validation under no_grad; returns (sum of n · batch loss, correct count), a (2) tensor on the device, and the number of samples.</summary>
    private static (Tensor? Sums, long Count) Validate(int epoch, ITrainStep step, Func<Tensor, Tensor, Tensor> lossFunc, DataLoader dl, FitOptions options)
    {
        step.SetTraining(false);
        using var noGrad = no_grad();
        var lossSum = zeros([], device: dl.Device).DetachFromDisposeScope();
        var correct = zeros([], device: dl.Device).DetachFromDisposeScope();
        long count = 0;
        try
        {
            using var batches = dl.GetEnumerator();
            for (var i = 0; ; i++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (xb, yb) = batches.Current;
                var preds = step.Predict(xb);
                var n = xb.shape[0];
                using var weight = n.ToScalar();
                lossSum.add_(lossFunc(preds, yb), weight);
                correct.add_(Accuracy.Correct(preds, yb));
                count += n;
                options.OnValidationBatch?.Invoke(new ValidationProgress(epoch, i, dl.Count));
            }
            return (stack([lossSum, correct]).DetachFromDisposeScope(), count);
        }
        finally
        {
            lossSum.Dispose();
            correct.Dispose();
        }
    }

    /// <summary>The epoch's one host read: train loss sum, and validation sums when there are any.</summary>
    private static EpochResult Read(int epoch, Tensor trainLoss, int batches, Tensor? valid, long validCount, Stopwatch clock)
    {
        using var scope = NewDisposeScope();
        var sums = (valid is null ? trainLoss.reshape(1) : cat([trainLoss.reshape(1), valid])).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var validLoss = valid is null ? double.NaN : sums[1] / validCount;
        var validAccuracy = valid is null ? double.NaN : sums[2] / validCount;
        return new EpochResult(epoch, sums[0] / batches, validLoss, validAccuracy, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>Optional hooks and settings for <see cref="Fit"/>.</summary>
public sealed record FitOptions
{
    /// <summary>No hooks, epochs numbered from 1.</summary>
    public static FitOptions Default { get; } = new();

    /// <summary>The number of the first epoch, from 1 (to resume after epoch k, pass k + 1: epochs are numbered FirstEpoch, FirstEpoch + 1, ...).</summary>
    public int FirstEpoch { get; init; } = 1;

    /// <summary>Called after every training batch; keep it cheap (read <see cref="BatchProgress.RunningLoss"/> only every k batches).</summary>
    public Action<BatchProgress>? OnBatch { get; init; }

    /// <summary>Called after every validation batch (for a progress display: the validation pass reads nothing from the device until it ends).</summary>
    public Action<ValidationProgress>? OnValidationBatch { get; init; }

    /// <summary>Called after every epoch; return <see langword="false"/> to stop training there.</summary>
    public Func<EpochResult, bool>? OnEpoch { get; init; }

    /// <summary>Checked between batches; when cancelled, <see cref="Fit"/> throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What one epoch of <see cref="Fit"/> measured (the lesson's <c>print(epoch, tot_loss/count, tot_acc/count)</c>).</summary>
/// <param name="Epoch">The epoch's number, counting from 1 (from <see cref="FitOptions.FirstEpoch"/>).</param>
/// <param name="TrainLoss">The mean of the epoch's training batch losses (NaN for an empty loader).</param>
/// <param name="ValidLoss">The validation loss, averaged over samples (batch losses weighted by batch size); NaN without validation.</param>
/// <param name="ValidAccuracy">The fraction of validation samples classified right; NaN without validation.</param>
/// <param name="Seconds">Wall-clock time of the epoch, training and validation.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double ValidLoss, double ValidAccuracy, double Seconds);

/// <summary>
/// Where training is, after one batch, for <see cref="FitOptions.OnBatch"/>. Valid only during the callback.
/// </summary>
/// <param name="epoch">The epoch's number, from 1.</param>
/// <param name="batch">The batch just done, from 0.</param>
/// <param name="batchCount">Batches in the epoch.</param>
/// <param name="loss">This batch's loss, 0-dim, on the device.</param>
/// <param name="lossSum">The epoch's sum of batch losses so far, 0-dim, on the device.</param>
/// <param name="clock">Started when the epoch began.</param>
public readonly struct BatchProgress(int epoch, int batch, int batchCount, Tensor loss, Tensor lossSum, Stopwatch clock)
{
    private readonly LossWatch? _watch;

    internal BatchProgress(int epoch, int batch, int batchCount, Tensor loss, Tensor lossSum, Stopwatch clock, LossWatch watch) : this(epoch, batch, batchCount, loss, lossSum, clock) =>
        _watch = watch;

    /// <summary>The epoch's number, from 1.</summary>
    public int Epoch => epoch;

    /// <summary>The batch just done, from 0.</summary>
    public int Batch => batch;

    /// <summary>Batches in the epoch.</summary>
    public int BatchCount => batchCount;

    /// <summary>
    /// This batch's loss (the lesson's <c>loss</c>; fastai's <c>learn.loss</c>), 0-dim, on the device; disposed with the
    /// batch. Reading its value syncs the device: to keep every batch's, copy it into a tensor of the epoch and read that
    /// once (the runner's <c>curves.png</c> does).
    /// </summary>
    public Tensor Loss => loss;

    /// <summary>
    /// The mean loss of this epoch's batches so far. It reads the device (a sync that stalls the pipeline), so call it every
    /// k batches (e.g. <c>if (p.Batch % 100 == 0)</c>), not on every batch. A NaN or infinite value read here stops
    /// <see cref="Fit"/> after this batch.
    /// </summary>
    public double RunningLoss()
    {
        var loss = lossSum.ToDouble() / (batch + 1);
        if (!double.IsFinite(loss) && _watch is not null) _watch.NonFiniteSeen = true;
        return loss;
    }

    /// <summary>Batches trained per second since the epoch began.</summary>
    public double BatchesPerSecond() => (batch + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
}

/// <summary>Where the validation pass is, after one batch, for <see cref="FitOptions.OnValidationBatch"/>.</summary>
/// <param name="epoch">The epoch being validated, from 1.</param>
/// <param name="batch">The validation batch just done, from 0.</param>
/// <param name="batchCount">Validation batches in the pass.</param>
public readonly struct ValidationProgress(int epoch, int batch, int batchCount)
{
    /// <summary>The epoch being validated, from 1.</summary>
    public int Epoch => epoch;

    /// <summary>The validation batch just done, from 0.</summary>
    public int Batch => batch;

    /// <summary>Validation batches in the pass.</summary>
    public int BatchCount => batchCount;
}

/// <summary>What one epoch's progress reads saw, and how many batches it ran.</summary>
internal sealed class LossWatch
{
    public int Batches { get; set; }

    public bool NonFiniteSeen { get; set; }
}
