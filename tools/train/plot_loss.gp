# Loss curve from the training log: gnuplot -e "log='work/train_log.csv'; out='../../models/loss.png'" plot_loss.gp
set datafile separator ","
set terminal pngcairo size 900,520 font ",11"
set output out
set title "tachyon-mini training loss"
set xlabel "step (8 x 256 tokens)"
set ylabel "cross-entropy (nats/token)"
set grid
set key top right
plot log every ::1 using 1:4 with lines lw 1 lc rgb "#9ecae1" title "train (per step)", \
     log every ::1 using 1:4 smooth bezier with lines lw 2 lc rgb "#08519c" title "train (smoothed)", \
     log every ::1 using 1:($5 > 0 ? $5 : 1/0) with linespoints pt 7 ps 0.8 lw 2 lc rgb "#e6550d" title "held-out eval"
