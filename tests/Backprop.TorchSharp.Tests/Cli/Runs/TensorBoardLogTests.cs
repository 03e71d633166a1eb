using Backprop.Cli.Runs;
using Backprop.Training;
using StbImageSharp;
using Tensorboard;

namespace Backprop.Tests.Cli.Runs;

/// <summary>
/// The event files a run leaves in <c>tensorboard/</c>, read back as TensorBoard reads them: the TFRecord framing with its
/// CRCs checked by a CRC-32C of our own, each record parsed by TorchSharp's generated <c>Tensorboard.Event</c>.
/// </summary>
[Collection(MnistGroup.Name)]
public sealed class TensorBoardLogTests(TrainedRun run)
{
    /// <summary>One Summary.Value of an Event: a scalar, or an image (its encoded bytes and stated size).</summary>
    private sealed record Value(string Tag, long Step, double WallTime, float Scalar, byte[]? Image, long Height, long Width);

    private static TrainRequest Request(string outDir, int epochs, string? resume = null) =>
        TrainRunTests.Request(outDir, new TrainOverrides(Epochs: epochs), resume);

    [Fact]
    public void A_run_and_its_resumption_log_every_metric_of_metrics_jsonl_the_running_loss_and_the_top_losses()
    {
        using var dir = new TempDir();
        var first = run.Outcome; // the first epoch, in a folder of its own
        Assert.Contains(Assert.Single(Directory.GetFiles(first.Folder.TensorBoard)), first.Files);
        var checkpoint = run.CopyTo(dir.Path);
        var tb = Path.Combine(dir.Path, "tensorboard");
        var firstFile = Assert.Single(Directory.GetFiles(tb));
        var firstBytes = File.ReadAllBytes(firstFile);

        var resumed = TrainRun.Execute(Request(dir.Path, 2, resume: checkpoint), new SilentObserver());

        Assert.Null(resumed.Warning);
        var files = Directory.GetFiles(tb).Order().ToArray();
        Assert.Equal(2, files.Length);
        Assert.Equal(firstBytes, File.ReadAllBytes(firstFile)); // the old file is left as it was
        var values = files.SelectMany(ReadEvents).ToList();
        var metrics = File.ReadAllLines(resumed.Folder.Metrics).Select(MetricsLog.Parse).ToList();
        Assert.Equal(2, metrics.Count);

        void Matches(string tag, Func<EpochResult, double> metric)
        {
            var logged = values.Where(v => v.Tag == tag).ToList();
            Assert.Equal(metrics.Select(m => (long)m.Epoch), logged.Select(v => v.Step));
            foreach (var (m, v) in metrics.Zip(logged)) Assert.Equal((float)metric(m), v.Scalar);
        }
        Matches("loss/train", m => m.TrainLoss);
        Matches("loss/valid", m => m.ValidLoss);
        Matches("accuracy/valid", m => m.ValidAccuracy);
        Matches("learning_rate", _ => 0.5);

        var running = values.Where(v => v.Tag == "loss/running").ToList();
        Assert.Equal(2 * TensorBoardLog.PointsPerEpoch, running.Count);
        Assert.Equal(Enumerable.Range(1, 2 * TensorBoardLog.PointsPerEpoch).Select(i => i * 250L), running.Select(v => v.Step));
        Assert.All(running, v => Assert.InRange(v.Scalar, 0.01f, 2.5f));
        // The running mean after a whole epoch is the epoch's train loss.
        foreach (var m in metrics) Assert.Equal(m.TrainLoss, running.Single(v => v.Step == m.Epoch * 1000L).Scalar, 1e-4);

        var images = values.Where(v => v.Tag == "valid/top_losses").ToList();
        Assert.Equal([1L, 2L], images.Select(v => v.Step));
        foreach (var image in images)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image.Image![..4]);
            Assert.InRange(image.Width, 100, 10_000);
            Assert.InRange(image.Height, 100, 10_000);
            var decoded = ImageResult.FromMemory(image.Image, ColorComponents.RedGreenBlue); // a whole PNG, of the size the event states
            Assert.Equal((image.Width, image.Height), (decoded.Width, decoded.Height));
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.All(values, v => Assert.InRange(v.WallTime, now - 3600, now + 1)); // seconds since 1970, as TensorBoard reads them
    }

    [Fact]
    public void Events_that_cannot_be_written_leave_the_run_and_its_checkpoint_whole_and_say_why()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("tensorboard"), "a file where the folder should be");

        var outcome = TrainRun.Execute(Request(dir.Path, 1), new SilentObserver());

        Assert.Equal(TrainStatus.Completed, outcome.Status);
        Assert.Single(CheckpointFile.Load(outcome.Folder.Checkpoint).History);
        Assert.Contains(outcome.Folder.TensorBoard, outcome.Warning);
        Assert.Contains("checkpoint", outcome.Warning);
        Assert.Equal("a file where the folder should be", File.ReadAllText(dir.File("tensorboard")));
    }

    /// <summary>
    /// Reads a TFRecord file: per record uint64 length, masked CRC-32C of the length, the data, masked CRC-32C of the data.
    /// The CRCs are checked here with a CRC-32C of the test's own, as TensorBoard's reader checks them; the records are
    /// parsed with TorchSharp's generated <c>Tensorboard.Event</c>, the protobuf type TensorBoard reads.
    /// </summary>
    private static IEnumerable<Value> ReadEvents(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var records = 0;
        for (var at = 0; at < bytes.Length;)
        {
            Assert.True(at + 12 <= bytes.Length, $"{file}: truncated header at byte {at}");
            var length = (int)BitConverter.ToUInt64(bytes, at);
            Assert.Equal(MaskedCrc(bytes.AsSpan(at, 8)), BitConverter.ToUInt32(bytes, at + 8));
            var data = bytes.AsSpan(at + 12, length).ToArray();
            Assert.Equal(MaskedCrc(data), BitConverter.ToUInt32(bytes, at + 12 + length));
            at += 12 + length + 4;
            var e = Event.Parser.ParseFrom(data);
            if (records++ == 0) Assert.Equal("brain.Event:2", e.FileVersion);
            else foreach (var v in e.Summary.Value) yield return new Value(v.Tag, e.Step, e.WallTime,
                v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue ? v.SimpleValue : float.NaN, v.Image?.EncodedImageString.ToByteArray(), v.Image?.Height ?? 0, v.Image?.Width ?? 0);
        }
        Assert.True(records > 1, $"{file} holds no events");
    }

    private static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    // CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow and plain.
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
