using System.Buffers.Binary;
using Backprop.Cli.Charts;
using Backprop.Training;
using Google.Protobuf;
using Tensorboard;
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

    /// <summary>Adds the PNG <paramref name="png"/> as the image <paramref name="tag"/> at <paramref name="step"/>.</summary>
    /// <remarks>
    /// TorchSharp's <c>add_img</c> decodes the file with SkiaSharp, which the build leaves out (see Directory.Packages.props):
    /// the event is built here from the PNG's own bytes and size, and appended to the file the writer made when it opened.
    /// </remarks>
    public void Image(string tag, string png, int step) => Write(_ =>
    {
        var bytes = File.ReadAllBytes(png);
        var (width, height) = Png.Size(bytes) ?? throw new IOException($"{png} is not a PNG file");
        var image = new Summary.Types.Image
        {
            Width = (int)width,
            Height = (int)height,
            Colorspace = 4, // RGBA, as the runner's PNGs are
            EncodedImageString = ByteString.CopyFrom(bytes),
        };
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Image = image });
        AppendRecord(EventFile!, new Event { Step = step, WallTime = Now(), Summary = summary }.ToByteArray());
    });

    // A TFRecord: the data's length (uint64), its masked CRC-32C, the data, the data's masked CRC-32C (all little-endian).
    private static void AppendRecord(string file, byte[] data)
    {
        static uint Masked(ReadOnlySpan<byte> b) { var c = Crc32.Castagnoli.Of(b); return ((c >> 15) | (c << 17)) + 0xa282ead8; }
        var record = new byte[12 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Masked(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), Masked(data));
        using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(record);
    }

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
