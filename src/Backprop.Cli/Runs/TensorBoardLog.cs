using Backprop.Training;
using TorchSharp.Modules;
using static TorchSharp.torch.utils;

namespace Backprop.Cli.Runs;

/// <summary>
/// Writes a run's TensorBoard event files to <see cref="RunFolder.TensorBoard"/> through TorchSharp's own
/// <see cref="SummaryWriter"/>, watching the run as an <see cref="ITrainObserver"/> in front of the display:
/// per epoch <c>loss/train</c>, <c>loss/valid</c>, <c>accuracy/valid</c> and <c>learning_rate</c> (step = epoch, from 1),
/// <see cref="PointsPerEpoch"/> times an epoch <c>loss/running</c> (step = batches trained), and at the end the top
/// losses as the image <c>valid/top_losses</c>. A resumed run adds a new event file beside the old ones.
/// </summary>
/// <remarks>
/// An epoch's events are written when it ends well, so the event files hold the epochs the checkpoint holds and a
/// resumed run repeats no step. TensorBoard is a convenience: a failure to write stops the logging, is kept in
/// <see cref="Problem"/> and never stops the training or loses its checkpoint.
/// </remarks>
internal sealed class TensorBoardLog(ITrainObserver display) : ITrainObserver
{
    /// <summary>How many running-loss points an epoch logs (each reads the device, so a few, not every batch).</summary>
    public const int PointsPerEpoch = 4;

    private readonly List<(int Step, float Loss, long Time)> _running = [];
    private SummaryWriter? _writer;
    private TrainStart? _start;
    private int _every = 1;

    /// <summary>Why the event files stopped being written; <see langword="null"/> while all is well.</summary>
    public string? Problem { get; private set; }

    /// <summary>The event file this run writes; <see langword="null"/> before the first epoch ends or after a <see cref="Problem"/>.</summary>
    public string? EventFile => _writer is null ? null : Directory.EnumerateFiles(_writer.LogDir, "events.out.tfevents.*").Order().LastOrDefault();

    public void Started(TrainStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        display.Started(start);
        _start = start;
        _every = Math.Max(1, start.BatchesPerEpoch / PointsPerEpoch);
    }

    public void Batch(BatchProgress progress)
    {
        display.Batch(progress);
        if (Problem is null && (progress.Batch + 1) % _every == 0)
            _running.Add(((progress.Epoch - 1) * progress.BatchCount + progress.Batch + 1, (float)progress.RunningLoss(), Now()));
    }

    public void Validation(ValidationProgress progress) => display.Validation(progress);

    public void Epoch(EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        display.Epoch(result);
        if (!double.IsFinite(result.TrainLoss) || !double.IsFinite(result.ValidLoss)) return; // not kept in the checkpoint either
        var time = Now();
        Write(w =>
        {
            foreach (var (step, loss, t) in _running) w.add_scalar("loss/running", loss, step, t);
            var epoch = result.Epoch; // from 1
            w.add_scalar("loss/train", (float)result.TrainLoss, epoch, time);
            w.add_scalar("loss/valid", (float)result.ValidLoss, epoch, time);
            w.add_scalar("accuracy/valid", (float)result.ValidAccuracy, epoch, time);
            w.add_scalar("learning_rate", (float)_start!.Settings.LearningRate, epoch, time);
        });
        _running.Clear();
    }

    /// <summary>Adds the PNG <paramref name="png"/> as the image <paramref name="tag"/> at <paramref name="step"/> (TorchSharp's <c>add_img</c>, which decodes it with SkiaSharp).</summary>
    public void Image(string tag, string png, int step) => Write(w => w.add_img(tag, png, step, Now()));

    // TensorBoard reads wall_time as seconds since 1970; say so rather than rely on the writer's default.
    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private void Write(Action<SummaryWriter> write)
    {
        if (Problem is not null || _start is null) return;
        var dir = _start.Folder.TensorBoard;
        try
        {
            _writer ??= tensorboard.SummaryWriter(dir);
            write(_writer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Problem = $"cannot write the TensorBoard events in {dir}: {e.Message.TrimEnd('.')}; the checkpoint and metrics are not affected";
            _writer = null;
        }
    }
}
