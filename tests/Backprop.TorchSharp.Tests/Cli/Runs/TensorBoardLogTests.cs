using Backprop.Cli.Runs;
using Backprop.Training;
using Google.Protobuf;

namespace Backprop.Tests.Cli.Runs;

/// <summary>
/// The event files a run leaves in <c>tensorboard/</c>, read back here with our own reader of TFRecord framing and of the
/// few Event fields TensorBoard shows, so that a file TorchSharp wrote wrongly fails here as it would in TensorBoard.
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

    /// <summary>Reads a TFRecord file: per record uint64 length, masked CRC-32C of the length, the data, masked CRC-32C of the data.</summary>
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
            if (records++ == 0) Assert.Equal("brain.Event:2", FileVersion(data));
            else foreach (var v in Event(data)) yield return v;
        }
        Assert.True(records > 1, $"{file} holds no events");
    }

    // Event: 1 wall_time (double), 2 step (int64), 3 file_version (string), 5 summary (Summary: 1 repeated Value).
    private static string? FileVersion(byte[] data)
    {
        var input = new CodedInputStream(data);
        for (uint tag; (tag = input.ReadTag()) != 0;)
            if (WireFormat.GetTagFieldNumber(tag) == 3) return input.ReadString();
            else input.SkipLastField();
        return null;
    }

    private static List<Value> Event(byte[] data)
    {
        var input = new CodedInputStream(data);
        double wall = 0;
        long step = 0;
        var summaries = new List<byte[]>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: wall = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 5: summaries.Add(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        var values = new List<Value>();
        foreach (var summary in summaries)
        {
            var s = new CodedInputStream(summary);
            for (uint tag; (tag = s.ReadTag()) != 0;)
                if (WireFormat.GetTagFieldNumber(tag) == 1) values.Add(SummaryValue(s.ReadBytes().ToByteArray(), step, wall));
                else s.SkipLastField();
        }
        return values;
    }

    // Summary.Value: 1 tag, 2 simple_value (float), 4 image (Image: 1 height, 2 width, 4 encoded_image_string).
    private static Value SummaryValue(byte[] data, long step, double wall)
    {
        var input = new CodedInputStream(data);
        var v = new Value("", step, wall, float.NaN, null, 0, 0);
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: v = v with { Tag = input.ReadString() }; break;
                case 2: v = v with { Scalar = input.ReadFloat() }; break;
                case 4:
                    var image = new CodedInputStream(input.ReadBytes().ToByteArray());
                    for (uint t; (t = image.ReadTag()) != 0;)
                        switch (WireFormat.GetTagFieldNumber(t))
                        {
                            case 1: v = v with { Height = image.ReadInt32() }; break;
                            case 2: v = v with { Width = image.ReadInt32() }; break;
                            case 4: v = v with { Image = image.ReadBytes().ToByteArray() }; break;
                            default: image.SkipLastField(); break;
                        }
                    break;
                default: input.SkipLastField(); break;
            }
        return v;
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
